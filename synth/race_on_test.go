//go:build race

package synth_test

// raceOn: built with -race, where the generator runs several times slower.
const raceOn = true
