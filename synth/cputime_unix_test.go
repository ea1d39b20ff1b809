//go:build unix

package synth_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system, all
// threads, so GC work counts): on a shared machine a fairer measure of
// cost than wall-clock time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
