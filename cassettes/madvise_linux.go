package cassettes

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// adviseRandom tells the kernel that a read-only cassette's memory map is
// read at random (replay serves scattered windows): page faults then read
// the page needed, not a readahead window around it, so a large cassette
// costs resident memory for what is served, not for its neighbours.
func adviseRandom(db *bolt.DB, size int64) {
	info := db.Info()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_RANDOM)
}

// dropResident releases the pages of a read-only cassette's memory map
// that a full scan (Coverage) brought in: they stay in the page cache, but
// no longer count as the process's resident memory, and the next read of
// a page faults it back in. Called inside a read transaction, so the map
// cannot be unmapped meanwhile.
func dropResident(tx *bolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
