package h1

import (
	"sync"
	"unsafe"
)

// Bodies that never change — a cached, settled klines window, a recorded
// answer — are copied once into an append-only memory file and sent from
// there with sendfile(2): the kernel then hands the socket page references
// instead of copying the body out of user memory on every request, as
// nginx does for static files. Smaller bodies are cheaper to copy than to
// send with the extra system call.
const (
	staticMin = 32 << 10 // smallest body sent from the file
	staticMax = 8 << 20  // largest
)

// arenaBytes is a memory file's size before a fresh one is started (a
// variable for the tests).
var arenaBytes int64 = 64 << 20

// staticStore maps bodies to where they lie in the current memory file.
type staticStore struct {
	mu       sync.Mutex
	cur      *arena
	m        map[*byte]staticRef
	disabled bool // no memory files here (not Linux, or memfd_create failed), or closed
	sends    int  // acquired places, for the tests
	arenas   int  // memory files opened, for the tests
}

// staticRef is one body's place. It holds the body itself, which pins its
// address: while the entry lives, no other body can appear at that
// address, so the address names the body.
type staticRef struct {
	a   *arena
	off int64
	b   []byte
}

// arena is one append-only memory file. Its pages may still be referenced
// by socket buffers after a sendfile returned, so a region is never
// rewritten: a full arena is retired and closed once no send uses it.
type arena struct {
	fd      int
	size    int64
	refs    int
	retired bool
}

// acquire returns p's place, copying p into the memory file the first
// time; the caller sends from it and then releases it. false means p is to
// be written the ordinary way.
func (st *staticStore) acquire(p []byte) (staticRef, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disabled || len(p) > staticMax {
		return staticRef{}, false
	}
	key := unsafe.SliceData(p)
	if r, ok := st.m[key]; ok && len(r.b) == len(p) {
		r.a.refs++
		st.sends++
		return r, true
	}
	if st.cur == nil || st.cur.size+int64(len(p)) > arenaBytes {
		fd, err := memfd()
		if err != nil {
			st.disabled = true
			return staticRef{}, false
		}
		st.retireLocked()
		st.cur = &arena{fd: fd}
		st.arenas++
		st.m = make(map[*byte]staticRef)
	}
	a := st.cur
	if err := pwriteAll(a.fd, p, a.size); err != nil {
		return staticRef{}, false
	}
	r := staticRef{a: a, off: a.size, b: p}
	a.size += int64(len(p))
	st.m[key] = r
	a.refs++
	st.sends++
	return r, true
}

// release ends a send from r.
func (st *staticStore) release(r staticRef) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r.a.refs--
	if r.a.retired && r.a.refs == 0 {
		closeFD(r.a.fd)
	}
}

// retireLocked retires the current arena: closed now if idle, else by the
// last release.
func (st *staticStore) retireLocked() {
	if a := st.cur; a != nil {
		a.retired = true
		if a.refs == 0 {
			closeFD(a.fd)
		}
		st.cur = nil
		clear(st.m)
	}
}

// close stops the store; sends in flight finish from their arena.
func (st *staticStore) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.retireLocked()
	st.disabled = true
}
