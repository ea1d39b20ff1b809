package cassettes

// Record kinds: the first byte of every stored value (after a sealed
// value's checksum is taken off). A kind byte names one layout for good:
// a new layout gets a new number, and a number is never reused, since
// cassettes in the field hold every kind ever written.
const (
	kindBlock1      = 1 // candle block: plain deltas under zstd (legacy, block_legacy.go)
	kindInteraction = 2 // interaction record (interaction.go)
	kindFrames      = 3 // a chunk of WS frames (ws.go)
	kindBlock2      = 4 // candle block: transformed columns as varints under zstd (legacy)
	kindTemplate    = 5 // an interaction whose body refers to the candle index (template.go)
	kindBlock3      = 6 // candle block: transformed columns as byte planes (legacy)
	kindBlock4      = 7 // candle block: transformed columns value by value (block4.go), the newest
)
