//go:build race

package kucoin_test

// raceOn: the race detector slows the client of the long book runs
// several times over; they run shorter under it.
const raceOn = true
