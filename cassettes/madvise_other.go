//go:build !linux

package cassettes

import bolt "go.etcd.io/bbolt"

// adviseRandom is a no-op where madvise is not used.
func adviseRandom(*bolt.DB, int64) {}

// dropResident is a no-op where madvise is not used.
func dropResident(*bolt.Tx) {}
