package cassettes_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// sealValue seals a value the way format 3 does: CRC-32C of key and
// payload, appended little-endian.
func sealValue(key, payload []byte) []byte {
	tab := crc32.MakeTable(crc32.Castagnoli)
	return binary.LittleEndian.AppendUint32(payload, crc32.Update(crc32.Update(0, tab, key), tab, payload))
}

// realCassette writes a cassette big enough to span many pages.
func realCassette(t *testing.T) string {
	t.Helper()
	c, path := mustCreate(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		body := make([]byte, 4000)
		for j := range body {
			body[j] = byte(rng.IntN(256))
		}
		if err := c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/api/v3/klines", Query: "i=" + string(rune('a'+i%26)), Status: 200, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: minuteCandles(t0, 5000, true)})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadFilesGiveClearErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	real := realCassette(t)
	whole, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}

	plainBolt := filepath.Join(dir, "plain.db")
	db, err := bolt.Open(plainBolt, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	db.Close()

	future := write("future.cassette", whole)
	db, err = bolt.Open(future, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("meta"))
		raw := b.Get([]byte("meta"))
		var m map[string]any
		if err := json.Unmarshal(raw[:len(raw)-4], &m); err != nil { // less the seal
			t.Fatal(err)
		}
		m["format"] = cassettes.FormatVersion + 1
		raw, _ = json.Marshal(m)
		return b.Put([]byte("meta"), sealValue([]byte("meta"), raw))
	})
	db.Close()

	cases := []struct {
		name string
		path string
		want error
	}{
		{"random bytes are not a cassette", write("random.bin", random), cassettes.ErrNotCassette},
		{"a text file is not a cassette", write("notes.txt", []byte("hello, this is not a database\n")), cassettes.ErrNotCassette},
		{"a bbolt file without meta is not a cassette", plainBolt, cassettes.ErrNotCassette},
		{"a newer format version is refused", future, cassettes.ErrVersion},
		{"a cassette cut in half is truncated", write("half.cassette", whole[:len(whole)/2]), cassettes.ErrTruncated},
		{"a cassette cut inside its meta pages is truncated", write("tiny.cassette", whole[:6000]), cassettes.ErrTruncated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ro := range []bool{true, false} {
				c, err := cassettes.Open(tc.path, 0o644, &cassettes.Options{ReadOnly: ro, Exchange: "binance_spot"})
				if err == nil {
					c.Close()
					t.Fatalf("ReadOnly=%v: opened without error", ro)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("ReadOnly=%v: error %v, want %v", ro, err, tc.want)
				}
			}
		})
	}
	// The refused foreign bbolt file must be left as it was.
	db, err = bolt.Open(plainBolt, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")) != nil {
			t.Error("opening a foreign bbolt file for writing added a meta bucket")
		}
		return nil
	})
	db.Close()
	// The intact cassette still opens.
	openRO(t, real)
}

func TestLockedFiles(t *testing.T) {
	w, path := mustCreate(t, nil)
	w.Flush()
	for _, ro := range []bool{true, false} {
		start := time.Now()
		_, err := cassettes.Open(path, 0o644, &cassettes.Options{ReadOnly: ro, Exchange: "binance_spot", Timeout: 100 * time.Millisecond})
		if !errors.Is(err, cassettes.ErrLocked) {
			t.Errorf("ReadOnly=%v open of a file being recorded: %v, want ErrLocked", ro, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("gave up after %v, want about the 100ms timeout", d)
		}
	}
	w.Close()
	// Several readers at once, and no writer while they read.
	r1 := openRO(t, path)
	r2 := openRO(t, path)
	if r1.Meta().Exchange != "binance_spot" || r2.Meta().Exchange != "binance_spot" {
		t.Error("concurrent readers do not see the meta record")
	}
	if _, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", Timeout: 50 * time.Millisecond}); !errors.Is(err, cassettes.ErrLocked) {
		t.Errorf("writer open while read: %v, want ErrLocked", err)
	}
}

func TestMissingFileAndNewCassetteWithoutExchange(t *testing.T) {
	dir := t.TempDir()
	if _, err := cassettes.Open(filepath.Join(dir, "none"), 0, &cassettes.Options{ReadOnly: true}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	if _, err := cassettes.Open(filepath.Join(dir, "new"), 0o644, nil); !errors.Is(err, cassettes.ErrNoExchange) {
		t.Errorf("creating without an exchange: %v", err)
	}
}

// Damage inside the file (stray bytes, a page of noise, a zeroed page)
// must come out of every read as an error of this package, never as a
// panic or a fault.
func TestDamagedPagesGiveErrorsNotPanics(t *testing.T) {
	real := realCassette(t)
	whole, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	detected := 0
	for round := 0; round < 45; round++ {
		b := append([]byte(nil), whole...)
		pg := 2 + rng.IntN(len(b)/4096-2) // the meta pages are checksummed
		switch round % 3 {
		case 0:
			for k := 0; k < 1+rng.IntN(20); k++ {
				b[8192+rng.IntN(len(b)-8192)] = byte(rng.IntN(256))
			}
		case 1:
			for i := pg * 4096; i < (pg+1)*4096; i++ {
				b[i] = byte(rng.IntN(256))
			}
		case 2:
			clear(b[pg*4096 : (pg+1)*4096])
		}
		p := filepath.Join(t.TempDir(), "damaged.cassette")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := cassettes.Open(p, 0, &cassettes.Options{ReadOnly: true})
		errs := []error{err}
		if err == nil {
			_, err1 := c.Summarize()
			err2 := c.Interactions(func(*cassettes.Interaction) error { return nil })
			_, err3 := c.Candles("BTCUSDT", cc.Interval1m, t0, t0+5000*60_000)
			c.Close()
			errs = []error{err1, err2, err3}
		}
		for _, err := range errs {
			switch {
			case err == nil:
			case errors.Is(err, cassettes.ErrCorrupt), errors.Is(err, cassettes.ErrNotCassette), errors.Is(err, cassettes.ErrTruncated):
				detected++
			default:
				t.Errorf("round %d: an error that is none of the package's: %v", round, err)
			}
		}
	}
	if detected == 0 {
		t.Error("45 damaged files and not one error: the damage tests nothing")
	}
}
