package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candlecassette/candlecassette/cassettes"
)

// contents reads every value of the cassette at path into one string, or
// the error reading stopped at.
func contents(path string) (string, error) {
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer c.Close()
	var b strings.Builder
	err = c.Interactions(func(ix *cassettes.Interaction) error {
		fmt.Fprintf(&b, "%d %s %s %s %d %q %v %q\n", ix.Seq, ix.Method, ix.Path, ix.Query, ix.Status, ix.Body, ix.ResponseHeader, ix.MatchKey)
		return nil
	})
	if err != nil {
		return "", err
	}
	conns, err := c.Conns()
	if err != nil {
		return "", err
	}
	for _, conn := range conns {
		fmt.Fprintf(&b, "%+v\n", *conn)
		if err := c.Frames(conn.ID, func(f cassettes.Frame) error { fmt.Fprintf(&b, "%+v\n", f); return nil }); err != nil {
			return "", err
		}
	}
	keys, err := c.Series()
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		cs, err := c.Candles(k.Symbol, k.Interval, 0, 1<<50)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %+v\n", k, cs)
	}
	return b.String(), nil
}

// TestInspectVerifyCatchesFlippedBits: of 80 copies of the committed
// cassette with one bit flipped, inspect --verify fails every copy whose
// values no longer read back as the intact file's, naming bucket and key
// where the damage is in a value; a copy it passes reads back identical
// (the bit was in bytes nothing reads: page slack, free pages).
func TestInspectVerifyCatchesFlippedBits(t *testing.T) {
	src := filepath.Join("..", "..", "cassettes", "testdata", "binance_spot.cassette")
	intactFile, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	intact, err := contents(src)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "inspect", "--verify", src)
	if err != nil {
		t.Fatalf("inspect --verify of the intact file: %v", err)
	}
	for _, want := range []string{"checksums: crc32c on every value", "verified:  ok", "3 interactions, 3 match entries", "203 candles in 2 blocks of 2 series"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect --verify output lacks %q:\n%s", want, out)
		}
	}
	rng := rand.New(rand.NewPCG(80, 1))
	path := filepath.Join(t.TempDir(), "flipped.cassette")
	var failed, located, harmless, summaryFailed int
	for i := range 80 {
		b := bytes.Clone(intactFile)
		off, bit := rng.IntN(len(b)), rng.IntN(8)
		b[off] ^= 1 << bit
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, verr := run(t, "inspect", "--verify", path)
		if _, _, err := run(t, "inspect", path); err != nil {
			summaryFailed++
		}
		got, rerr := contents(path)
		switch {
		case verr != nil:
			failed++
			var ce *cassettes.CorruptError
			if errors.As(verr, &ce) {
				located++
				if !strings.Contains(verr.Error(), ce.Bucket) || !strings.Contains(verr.Error(), ce.Key) {
					t.Errorf("copy %d: error %q does not name bucket %q and key %q", i, verr, ce.Bucket, ce.Key)
				}
			}
		case rerr != nil || got != intact:
			t.Errorf("copy %d (bit %d of byte %d): inspect --verify passed, but the file reads back differently (%v)", i, bit, off, rerr)
		default:
			harmless++
		}
	}
	t.Logf("80 bit-flipped copies: inspect --verify failed %d (%d naming bucket and key), passed %d that read back identical; plain inspect failed %d",
		failed, located, harmless, summaryFailed)
	if failed == 0 {
		t.Error("not one flipped copy failed verification")
	}
}

// TestInspectOlderFormatSaysNoChecksums: a format-2 file is read, and
// said to carry no checksums.
func TestInspectOlderFormatSaysNoChecksums(t *testing.T) {
	out, _, err := run(t, "inspect", "--verify", filepath.Join("..", "..", "cassettes", "testdata", "binance_spot-format2.cassette"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "checksums: none (format 2)") || !strings.Contains(out, "verified:  ok (decoded;") {
		t.Errorf("inspect --verify of a format-2 file:\n%s", out)
	}
}
