package okx

import "time"

// SetIdleTimeout shortens the idle cut-off for a test and returns a func
// that restores it.
func SetIdleTimeout(d time.Duration) (restore func()) {
	old := idleTimeout.Swap(int64(d))
	return func() { idleTimeout.Store(old) }
}
