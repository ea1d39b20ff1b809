package cassettes

import (
	"errors"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

// TestTradeBlockRoundTripAndSeal encodes a block, decodes it back, and
// checks that a flipped bit anywhere in a sealed block is caught.
func TestTradeBlockRoundTripAndSeal(t *testing.T) {
	var rows []tradeRow
	tm := int64(1_780_000_020_000_000)
	for i := int64(0); i < 300; i++ {
		tm += i % 5 * 1000
		rows = append(rows, tradeRow{Trade: cc.Trade{
			ID: 5_000_000 + i*(1+i%2), AggID: 5_000_000 + i - i%3, Time: tm,
			Price: cc.NewDecimal(6_500_000+i%17-8, 2), Size: cc.NewDecimal(i*13+1, int(3+i%4)), BuyerMaker: i%3 == 0,
		}, flags: byte(i % 8)})
		rows[i].BuyerMaker = rows[i].flags&flagBuyerMaker != 0
	}
	v := encodeTradeBlock(rows)
	got, err := decodeTradeBlock(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		if got[i] != rows[i] {
			t.Fatalf("row %d: %+v, want %+v", i, got[i], rows[i])
		}
	}
	key := timeKey(tradeBlockStart(rows[0].Time))
	sealed := seal(key, v)
	for i := 0; i < len(sealed); i += 7 {
		bad := append([]byte(nil), sealed...)
		bad[i] ^= 0x10
		if _, err := sealing(true).open("trades/X", key, bad); !errors.Is(err, ErrChecksum) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	t.Logf("%d trades in %d bytes (%.1f B/trade)", len(rows), len(v), float64(len(v))/float64(len(rows)))
}
