package cassettes_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// TestFlippedValueIsAChecksumErrorNamingItsPlace flips one byte inside a
// stored candle block and inside an interaction record of a format-3 file:
// each read of it is ErrChecksum (an ErrCorrupt) naming bucket and key,
// never other candles or another body, and Verify stops at the same place.
func TestFlippedValueIsAChecksumErrorNamingItsPlace(t *testing.T) {
	c, path := mustCreate(t, nil)
	cs := minuteCandles(t0, 1500, true)
	c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: cs})
	c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/time", Status: 200, Body: bytes.Repeat([]byte(`{"serverTime":1}`), 40)})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The stored values, to find them in the file.
	var block, record []byte
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket([]byte("candles")).Bucket([]byte("BTCUSDT\x001m")).Cursor().First()
		block = bytes.Clone(v)
		_, v = tx.Bucket([]byte("interactions")).Cursor().First()
		record = bytes.Clone(v)
		return nil
	})
	db.Close()

	for _, tc := range []struct {
		name        string
		value       []byte
		read        func(*cassettes.Cassette) error
		bucket, key string
	}{
		{"a candle block", block, func(c *cassettes.Cassette) error {
			_, err := c.Candles("BTCUSDT", cc.Interval1m, t0, t0+1500*60_000)
			return err
		}, "candles/BTCUSDT 1m", "2023-12-31T22:00:00Z"}, // the block of 1000 minutes holding t0,
		{"an interaction record", record, func(c *cassettes.Cassette) error {
			_, err := c.Lookup("GET", "/api/v3/time", "", nil)
			return err
		}, "interactions", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := bytes.Index(whole, tc.value)
			if at < 0 || len(tc.value) < 20 {
				t.Fatalf("value of %d bytes not found in the file", len(tc.value))
			}
			b := bytes.Clone(whole)
			b[at+len(tc.value)/2] ^= 0x10
			p := path + ".flipped"
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			c := openRO(t, p)
			var ce *cassettes.CorruptError
			for _, err := range []error{tc.read(c), func() error { _, err := c.Verify(); return err }()} {
				if !errors.Is(err, cassettes.ErrChecksum) || !errors.Is(err, cassettes.ErrCorrupt) || !errors.As(err, &ce) {
					t.Fatalf("read: %v, want ErrChecksum in a *CorruptError", err)
				}
				if ce.Bucket != tc.bucket || ce.Key != tc.key {
					t.Errorf("damage placed at bucket %q key %q, want %q %q", ce.Bucket, ce.Key, tc.bucket, tc.key)
				}
			}
		})
	}
	// The intact file verifies, and says what it checked.
	v, err := openRO(t, path).Verify()
	if err != nil || !v.Sealed || v.Candles != 1500 || v.Interactions != 1 || v.MatchKeys != 1 || v.Pages == 0 {
		t.Errorf("Verify of the intact file: %+v, %v", v, err)
	}
}
