package cassettes

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
)

// bbolt trusts its page references: a damaged branch element or bucket
// root that points back up the tree sends its cursors round in a loop
// until the stack overflows, a fatal error no recover catches. Before a
// sealed cassette is read, checkPages walks the page tree from the meta
// page's root the way bbolt's cursors would, reading only branch pages
// and the leaves that hold buckets, and refuses a reference out of range,
// a page that does not name itself, or one reached twice. Leaves of
// records are not read (their values are sealed); on a large cassette the
// walk reads a few percent of the file, once.

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common).
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elemSize       = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	branchPageFlag = 0x01
	leafPageFlag   = 0x02
	bucketLeafFlag = 0x01
	metaOff        = pageHeaderSize
	metaLen        = 56 // magic .. txid; the checksum follows
	metaMagic      = 0xED0CDAED
)

// checkMetaPages reports a damaged bbolt meta page and returns the page
// size, the root page and the high-water mark of the newer meta. bbolt
// keeps two meta pages, the newer committed transaction's and the one
// before, and silently opens the older when the newer fails its checksum:
// a consistent snapshot, but one that lacks the last batch, whose requests
// replay would then answer from the synthetic market. Both are whole in a
// file closed cleanly; only a crash during a commit's meta write leaves
// one torn, and a writable open (which recovers from that and rewrites
// both) does not call this.
func checkMetaPages(f *os.File) (pageSize int, root, high uint64, err error) {
	head := make([]byte, 64<<10)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	le := binary.LittleEndian
	meta := func(off int) ([]byte, bool) {
		if off+metaOff+metaLen+8 > len(head) {
			return nil, false
		}
		m := head[off+metaOff:]
		h := fnv.New64a()
		h.Write(m[:metaLen])
		return m, le.Uint32(m) == metaMagic && h.Sum64() == le.Uint64(m[metaLen:])
	}
	m0, ok := meta(0)
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: bbolt meta page 0 fails its checksum (bbolt would open an older transaction)", ErrCorrupt)
	}
	pageSize = int(le.Uint32(m0[8:]))
	if pageSize < 512 || pageSize > len(head)/2 {
		return 0, 0, 0, fmt.Errorf("%w: bbolt page size %d", ErrCorrupt, pageSize)
	}
	m1, ok := meta(pageSize)
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: bbolt meta page 1 fails its checksum (bbolt would open an older transaction)", ErrCorrupt)
	}
	m := m0
	if le.Uint64(m1[48:]) > le.Uint64(m0[48:]) {
		m = m1
	}
	return pageSize, le.Uint64(m[16:]), le.Uint64(m[40:]), nil
}

// checkPages walks the page tree of the file f (see above).
func checkPages(f *os.File) error {
	pageSize, root, high, err := checkMetaPages(f)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	seen := map[uint64]bool{}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: bbolt page tree: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	// Pages are read through one chunk of neighbours: bbolt allocates
	// them in order, so a branch's children are mostly close together.
	const chunkPages = 256
	chunk, chunkAt := make([]byte, chunkPages*pageSize), int64(-1)
	full := len(chunk)
	read := func(id uint64) ([]byte, error) {
		if id < 2 || id >= high {
			return nil, bad("page %d out of range [2, %d)", id, high)
		}
		if seen[id] {
			return nil, bad("page %d reached twice", id)
		}
		seen[id] = true
		at := int64(id) * int64(pageSize)
		if c := at / int64(full) * int64(full); c != chunkAt {
			chunk = chunk[:full]
			n, err := f.ReadAt(chunk, c)
			if n < int(at-c)+pageSize {
				return nil, bad("page %d: %v", id, err)
			}
			chunk, chunkAt = chunk[:n], c
		}
		p := chunk[at-chunkAt : at-chunkAt+int64(pageSize)]
		if got := le.Uint64(p); got != id {
			return nil, bad("page %d names itself %d", id, got)
		}
		if ov := uint64(le.Uint32(p[12:])); ov > 0 {
			if id+ov >= high {
				return nil, bad("page %d overflows past the end", id)
			}
			for i := uint64(1); i <= ov; i++ {
				seen[id+i] = true
			}
			p = make([]byte, (ov+1)*uint64(pageSize))
			if _, err := f.ReadAt(p, int64(id)*int64(pageSize)); err != nil {
				return nil, bad("page %d: %v", id, err)
			}
		}
		return p, nil
	}
	// elem returns element i's two byte ranges (key, value) of page p.
	elem := func(p []byte, i int, branch bool) (key []byte, flags uint32, val []byte, child uint64, ok bool) {
		off := pageHeaderSize + i*elemSize
		if off+elemSize > len(p) {
			return nil, 0, nil, 0, false
		}
		e := p[off:]
		if branch {
			pos, ks := int(le.Uint32(e)), int(le.Uint32(e[4:]))
			if off+pos+ks > len(p) || pos < 0 || ks < 0 {
				return nil, 0, nil, 0, false
			}
			return p[off+pos : off+pos+ks], 0, nil, le.Uint64(e[8:]), true
		}
		flags = le.Uint32(e)
		pos, ks, vs := int(le.Uint32(e[4:])), int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		if pos < 0 || ks < 0 || vs < 0 || off+pos+ks+vs > len(p) {
			return nil, 0, nil, 0, false
		}
		return p[off+pos : off+pos+ks], flags, p[off+pos+ks : off+pos+ks+vs], 0, true
	}
	// Iterative: the damage this looks for is what makes recursion deep.
	type todo struct {
		id     uint64
		inline []byte // an inline bucket's page, when id is 0
		depth  int
	}
	stack := []todo{{id: root}}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.depth > 64 {
			return bad("deeper than 64 levels at page %d", t.id)
		}
		p := t.inline
		if p == nil {
			if p, err = read(t.id); err != nil {
				return err
			}
		}
		if len(p) < pageHeaderSize {
			return bad("inline bucket of %d bytes", len(p))
		}
		flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
		switch {
		case flags&branchPageFlag != 0 && t.inline == nil:
			if count == 0 {
				return bad("empty branch page %d", t.id)
			}
			for i := range count {
				_, _, _, child, ok := elem(p, i, true)
				if !ok {
					return bad("branch page %d element %d out of bounds", t.id, i)
				}
				stack = append(stack, todo{id: child, depth: t.depth + 1})
			}
		case flags&leafPageFlag != 0:
			for i := range count {
				_, ef, v, _, ok := elem(p, i, false)
				if !ok {
					return bad("leaf page %d element %d out of bounds", t.id, i)
				}
				if ef&bucketLeafFlag == 0 {
					continue
				}
				if len(v) < 16 {
					return bad("bucket header of %d bytes in page %d", len(v), t.id)
				}
				if r := le.Uint64(v); r != 0 {
					stack = append(stack, todo{id: r, depth: t.depth + 1})
				} else {
					// Copied: p may be the chunk, which the next read reuses.
					stack = append(stack, todo{inline: append([]byte(nil), v[16:]...), depth: t.depth + 1})
				}
			}
		default:
			return bad("page %d has flags %#x where a branch or leaf belongs", t.id, flags)
		}
	}
	return nil
}
