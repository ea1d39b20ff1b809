package drift_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/drift"
)

// exchange is one side's traffic, written straight into a cassette.
type exchange struct {
	rest   []*cassettes.Interaction
	frames []frame // binary server frames on one connection
}

func write(t *testing.T, name string, x exchange) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "mexc_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range x.rest {
		ix.Start = time.Now()
		if err := c.AddInteraction(ix); err != nil {
			t.Fatal(err)
		}
	}
	if len(x.frames) > 0 {
		id, err := c.BeginConn("/ws", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range x.frames {
			if err := c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: 2, Offset: time.Duration(i) * time.Second, Payload: f.payload, Stream: f.stream}); err != nil {
				t.Fatal(err)
			}
		}
		c.EndConn(id, time.Now(), 1000)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type frame struct {
	stream  string // the recorder's label: "BTCUSDT 1m"
	payload []byte
}

func gz(b string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(b))
	zw.Close()
	return buf.Bytes()
}

func zst(b string) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	return enc.EncodeAll([]byte(b), nil)
}

func answer(path, ctype string, status int, body []byte) *cassettes.Interaction {
	return &cassettes.Interaction{Method: "GET", Path: path, Status: status,
		ResponseHeader: http.Header{"Content-Type": {ctype}}, Body: body}
}

// kline is a MEXC-like protobuf push: the channel (field 1), the symbol
// (3) and a kline (308) whose open price (3) is a decimal string.
func kline(symbol, open string) frame {
	var k []byte
	k = protowire.AppendTag(k, 1, protowire.BytesType)
	k = protowire.AppendString(k, "Min1")
	k = protowire.AppendTag(k, 2, protowire.VarintType)
	k = protowire.AppendVarint(k, 1_700_000_000)
	k = protowire.AppendTag(k, 3, protowire.BytesType)
	k = protowire.AppendString(k, open)
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, "spot@public.kline.v3.api.pb@"+symbol+"@Min1")
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, symbol)
	b = protowire.AppendTag(b, 308, protowire.BytesType)
	return frame{symbol + " 1m", protowire.AppendBytes(b, k)}
}

func TestDiffReadsCompressedTextAndProtobufBodies(t *testing.T) {
	old := write(t, "old", exchange{
		rest: []*cassettes.Interaction{
			// Stored still gzip-compressed: the recorder could not decode it.
			answer("/api/v3/ticker/price", "application/json", 200, gz(`{"symbol":"BTCUSDT","price":"50000.10"}`)),
			answer("/api/v3/ping", "text/plain", 200, []byte("pong")),
		},
		frames: []frame{kline("BTCUSDT", "50000.10"), kline("ETHUSDT", "3000.20")},
	})
	again := write(t, "again", exchange{
		rest: []*cassettes.Interaction{
			answer("/api/v3/ticker/price", "application/json", 200, zst(`{"symbol":"BTCUSDT","price":"51234.50"}`)),
			answer("/api/v3/ping", "text/plain", 200, []byte("pong")),
		},
		frames: []frame{kline("ETHUSDT", "3100.40"), kline("BTCUSDT", "49999.90")},
	})
	changed := write(t, "changed", exchange{
		rest: []*cassettes.Interaction{
			answer("/api/v3/ticker/price", "application/json", 200, gz(`{"symbol":"BTCUSDT","price":50000.1}`)),
			answer("/api/v3/ping", "application/json", 200, []byte(`{}`)),
		},
		frames: []frame{kline("BTCUSDT", "50000.1000"), kline("ETHUSDT", "3000.2000")},
	})
	r, err := drift.Diff(old, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Drift {
		t.Errorf("same shapes, other values, bodies gzip- and zstd-compressed: %v", r.Changes)
	}
	r, err = drift.Diff(old, changed, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []drift.Change{
		{Where: "GET /api/v3/ping", Kind: drift.KindContentType, Old: "text/plain", New: "application/json"},
		{Where: "GET /api/v3/ping", Kind: drift.KindType, Path: "$", Old: "text", New: "object"},
		{Where: "GET /api/v3/ticker/price", Kind: drift.KindNumberFormat, Path: "$.price"},
		{Where: "WS /ws protobuf #1=spot@public.kline.v3.api.pb@{symbol}@Min1", Kind: drift.KindNumberFormat, Path: "$.#308.#3",
			Old: `"50000.10" (string, 2 dp)`, New: `"50000.1000" (string, 4 dp)`},
	}
	if len(r.Changes) != len(want) {
		t.Fatalf("got %d changes, want %d: %+v", len(r.Changes), len(want), r.Changes)
	}
	for i, w := range want {
		c := r.Changes[i]
		if c.Where != w.Where || c.Kind != w.Kind || c.Path != w.Path || (w.Old != "" && (c.Old != w.Old || c.New != w.New)) {
			t.Errorf("change %d = %+v, want %+v", i, c, w)
		}
	}
}

func TestDiffRefusesDamagedCassettes(t *testing.T) {
	good := write(t, "good", exchange{rest: []*cassettes.Interaction{
		answer("/api/v3/ping", "application/json", 200, []byte(`{}`)),
		answer("/api/v3/time", "application/json", 200, []byte(`{"serverTime":1}`)),
	}})
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated")
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)

	// A stored interaction with one byte flipped: its checksum fails.
	flipped := filepath.Join(dir, "flipped")
	os.WriteFile(flipped, raw, 0o644)
	db, err := bolt.Open(flipped, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("interactions"))
		k, v := b.Cursor().First()
		v = bytes.Clone(v)
		v[len(v)/2] ^= 0x40
		return b.Put(bytes.Clone(k), v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		path string
		want error
	}{
		"truncated":              {truncated, cassettes.ErrTruncated},
		"an interaction flipped": {flipped, cassettes.ErrCorrupt},
		"missing":                {filepath.Join(dir, "none"), os.ErrNotExist},
	} {
		if _, err := drift.Diff(good, tc.path, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if _, err := drift.Diff(tc.path, good, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s as A: %v, want %v", name, err, tc.want)
		}
	}
}
