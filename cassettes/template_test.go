package cassettes_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// binanceBody spells candles as Binance's klines endpoint does.
func binanceBody(cs []cc.Candle) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `[%d,"%s","%s","%s","%s","%s",%d,"%s",%d,"%s","%s","0"]`, c.OpenTime, c.Open, c.High, c.Low, c.Close,
			c.Volume, c.CloseTime, c.QuoteVolume, c.Trades, c.TakerBuyBase, c.TakerBuyQuote)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func interactionKinds(t *testing.T, path string) map[byte]int {
	t.Helper()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kinds := map[byte]int{}
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("interactions")).ForEach(func(_, v []byte) error { kinds[v[0]]++; return nil })
	})
	return kinds
}

func TestCandleBodiesAreStoredOnceAndRebuiltExactly(t *testing.T) {
	c, path := mustCreate(t, nil)
	cs := minuteCandles(t0, 1000, true)
	cs[999].Closed = false // the last one still in progress: kept literally
	body := binanceBody(cs)
	series := cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs}
	add := func(body []byte, s cassettes.Series) {
		t.Helper()
		err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/klines", Query: "symbol=BTCUSDT&interval=1m", Status: 200, Body: body, Start: time.UnixMilli(t0)}, s)
		if err != nil {
			t.Fatal(err)
		}
	}
	add(body, series)
	// A later recording revises candle 10 (a different final): the index
	// keeps the first, and both bodies still come back as recorded.
	revised := append([]cc.Candle(nil), cs[:20]...)
	revised[10].Close = cc.MustDecimal("1.23")
	body2 := binanceBody(revised)
	add(body2, cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: revised})
	// A body that is not a candle listing at all, with candles attached.
	add([]byte(strings.Repeat(`{"unrelated":"x"}`, 20)), series)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if k := interactionKinds(t, path); k[5] != 2 || k[2] != 1 {
		t.Errorf("interaction kinds %v: want 2 templates and 1 plain body", k)
	}
	r := openRO(t, path)
	got, err := r.Lookup("GET", "/api/v3/klines", "interval=1m&symbol=BTCUSDT", nil)
	if err != nil || len(got) != 3 {
		t.Fatalf("Lookup: %d, %v", len(got), err)
	}
	if !bytes.Equal(got[0].Body, body) {
		t.Errorf("first body not rebuilt exactly (%d vs %d bytes)", len(got[0].Body), len(body))
	}
	if !bytes.Equal(got[1].Body, body2) {
		t.Errorf("revised body not rebuilt exactly:\n got %.300s\nwant %.300s", got[1].Body, body2)
	}
	if m := r.Meta(); m.StoredBytes*10 > m.RawBytes {
		t.Errorf("stored %d bytes of interactions for %d raw: the candle body was not deduplicated", m.StoredBytes, m.RawBytes)
	}
}
