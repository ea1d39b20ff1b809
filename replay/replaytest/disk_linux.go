//go:build linux

package replaytest

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// RefuseWrites makes every later write to the open file at path fail, as
// on a full or failed disk: each descriptor this process holds for path is
// replaced (dup3) by a read-only one of the same file, so the kernel
// refuses its writes (EBADF) while fstat and the mapping bbolt reads
// through still see the file as it was. (/dev/full would give ENOSPC, but
// bbolt stats the file on commit and refuses a size-0 device first.)
// Linux only: it walks /proc/self/fd, and skips the test without it.
func RefuseWrites(t testing.TB, path string) {
	t.Helper()
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	path, err = filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd == int(ro.Fd()) {
			continue
		}
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || target != path {
			continue
		}
		if err := syscall.Dup3(int(ro.Fd()), fd, syscall.O_CLOEXEC); err != nil {
			t.Fatalf("dup3 over fd %d: %v", fd, err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no open descriptor for %s", path)
	}
}
