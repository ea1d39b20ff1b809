//go:build !race

package kucoin_test

const raceOn = false
