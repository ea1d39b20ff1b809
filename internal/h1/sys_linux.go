package h1

import (
	"io"
	"syscall"
	"unsafe"

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
// the body's first bytes, the body with sendfile. Raw calls, as rawIO.
func sendStatic(rc syscall.RawConn, head []byte, fd int, off int64, n int) error {
	var opErr error
	err := rc.Write(func(s uintptr) bool {
		for len(head) > 0 {
			m, _, e := unix.RawSyscall6(unix.SYS_SENDTO, s, uintptr(unsafe.Pointer(&head[0])), uintptr(len(head)),
				unix.MSG_MORE|unix.MSG_NOSIGNAL, 0, 0)
			switch e {
			case 0:
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
			m, _, e := unix.RawSyscall6(unix.SYS_SENDFILE, s, uintptr(fd), uintptr(unsafe.Pointer(&off)), uintptr(n), 0, 0)
			switch {
			case e == unix.EINTR:
				continue
			case e == unix.EAGAIN:
				return false
			case e != 0:
				opErr = e
				return true
			case m == 0:
				opErr = io.ErrUnexpectedEOF // the file is shorter than the region
				return true
			}
			n -= int(m)
		}
		return true
	})
	if err != nil {
		return err
	}
	return opErr
}

// rawIO: reads and writes on the connection are raw system calls through
// its RawConn. The sockets are non-blocking, so the calls never sleep (a
// would-block returns to the poller), but through syscall.Syscall every
// one marks the P as in a system call: with a call per request in flight
// all the time, sysmon keeps waking every 20 µs to look at them and hands
// Ps to other threads. perf on the limit=100 load: sysmon 6.3% → 3.8% of
// the server's CPU with raw writes alone, and fewer futex wake-ups.
const rawIO = true

// rawRead reads into p once data is there.
func rawRead(rc syscall.RawConn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var opErr error
	err := rc.Read(func(s uintptr) bool {
		for {
			m, _, e := unix.RawSyscall(unix.SYS_READ, s, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch e {
			case 0:
				n = int(m)
				if n == 0 {
					opErr = io.EOF
				}
				return true
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			opErr = e
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	return n, opErr
}

// rawWritev writes bufs whole, with writev.
func rawWritev(rc syscall.RawConn, bufs [][]byte) error {
	var iov [4]unix.Iovec
	var opErr error
	err := rc.Write(func(s uintptr) bool {
		for {
			n := 0
			for _, b := range bufs {
				if len(b) > 0 && n < len(iov) {
					iov[n].Base = &b[0]
					iov[n].SetLen(len(b))
					n++
				}
			}
			if n == 0 {
				return true
			}
			m, _, e := unix.RawSyscall(unix.SYS_WRITEV, s, uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
			switch e {
			case 0:
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			default:
				opErr = e
				return true
			}
			left := int(m)
			for i := range bufs {
				k := min(left, len(bufs[i]))
				bufs[i] = bufs[i][k:]
				left -= k
			}
		}
	})
	if err != nil {
		return err
	}
	return opErr
}
