//go:build amd64 && !amd64.v3

package synth_test

// tapeMissesAllowed is how many seconds of TestTradesAggregateToCandles'
// sample may have a tape that is not exact: none on the baseline amd64
// build, whose paths the golden fingerprints pin.
const tapeMissesAllowed = 0
