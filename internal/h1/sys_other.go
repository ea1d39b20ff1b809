//go:build !linux

package h1

import (
	"errors"
	"syscall"
)

var errNoStatic = errors.New("h1: no sendfile from memory files on this system")

func memfd() (int, error)                                       { return -1, errNoStatic }
func pwriteAll(fd int, p []byte, off int64) error               { return errNoStatic }
func closeFD(fd int)                                            {}
func sendStatic(syscall.RawConn, []byte, int, int64, int) error { return errNoStatic }

const rawIO = false

func rawRead(syscall.RawConn, []byte) (int, error) { return 0, errNoStatic }
func rawWritev(syscall.RawConn, [][]byte) error    { return errNoStatic }
