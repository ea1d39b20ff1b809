//go:build !amd64 || amd64.v3

package synth_test

// tapeMissesAllowed is how many seconds of TestTradesAggregateToCandles'
// sample may have a tape that is not exact: where the compiler fuses
// multiply-adds the paths differ in their last bits (see the package
// doc), so this sample is not the one the tape was checked on.
const tapeMissesAllowed = 5
