package kit_test

import (
	"encoding/json"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// BestFirst orders a side best first, the later of two entries at one
// price winning; Levels reads rows of strings or numbers and refuses a
// short row.
func TestBestFirstAndLevels(t *testing.T) {
	var rows [][]cc.Decimal
	if err := json.Unmarshal([]byte(`[["100.5","1","7"],[101,2],["100.50","0","9"],["99","3"]]`), &rows); err != nil {
		t.Fatal(err)
	}
	ls, ok := kit.Levels(rows)
	if !ok || len(ls) != 4 {
		t.Fatalf("levels: %v %v", ok, ls)
	}
	bids := kit.BestFirst(append([]cc.BookLevel(nil), ls...), true)
	if len(bids) != 3 || bids[0].Price.String() != "101" || bids[1].Price.String() != "100.50" || !bids[1].Size.IsZero() || bids[2].Price.String() != "99" {
		t.Fatalf("bids %v", bids)
	}
	asks := kit.BestFirst(ls, false)
	if len(asks) != 3 || asks[0].Price.String() != "99" || asks[2].Price.String() != "101" || !asks[1].Size.IsZero() {
		t.Fatalf("asks %v", asks)
	}
	if _, ok := kit.Levels([][]cc.Decimal{{cc.MustDecimal("1")}}); ok {
		t.Fatal("a row of one field read")
	}
	if ls, ok := kit.Levels(nil); !ok || ls != nil || kit.BestFirst(nil, true) != nil {
		t.Fatal("empty")
	}
}
