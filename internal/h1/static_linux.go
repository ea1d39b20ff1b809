package h1

import (
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

func memfd() (int, error) {
	return unix.MemfdCreate("candlecassette-bodies", unix.MFD_CLOEXEC)
}

func pwriteAll(fd int, p []byte, off int64) error {
	for len(p) > 0 {
		n, err := unix.Pwrite(fd, p, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

func closeFD(fd int) { unix.Close(fd) }

// sendStatic writes head, then n bytes of the memory file fd from off, to
// the socket: the head with MSG_MORE so that it leaves in one segment with
// the body's first bytes, the body with sendfile.
func sendStatic(rc syscall.RawConn, head []byte, fd int, off int64, n int) error {
	var opErr error
	err := rc.Write(func(s uintptr) bool {
		for len(head) > 0 {
			m, e := unix.SendmsgN(int(s), head, nil, nil, unix.MSG_MORE|unix.MSG_NOSIGNAL)
			switch e {
			case nil:
				head = head[m:]
				continue
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // wait until writable, then go on
			}
			opErr = e
			return true
		}
		for n > 0 {
			m, e := unix.Sendfile(int(s), fd, &off, n)
			if m > 0 {
				n -= m
			}
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				return false
			case e != nil:
				opErr = e
				return true
			case m == 0:
				opErr = io.ErrUnexpectedEOF // the file is shorter than the region
				return true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return opErr
}
