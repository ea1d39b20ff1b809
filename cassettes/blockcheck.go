package cassettes

import (
	"fmt"

	cc "github.com/candlecassette/candlecassette"
)

// decodeBlock decodes a candle block of any kind and checks what the
// formats cannot: every decimal's scale is one a Decimal supports (a
// damaged scale byte would otherwise decode fine and panic when served).
func decodeBlock(v []byte) ([]cc.Candle, error) {
	cs, err := decodeBlockAnyKind(v)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		for _, d := range decimals(&cs[i]) {
			if d.Scale < 0 || d.Scale > 18 {
				return nil, fmt.Errorf("%w: candle block scale %d", ErrCorrupt, d.Scale)
			}
		}
	}
	return cs, nil
}
