package cassettes_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
)

// recordTwo writes a format-4 file holding binance_spot and okx_spot, each
// with its own interactions, a WS connection with frames, candles and
// volatile params, and returns its path.
func recordTwo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.cassette")
	f, err := cassettes.OpenFile(path, 0o644, &cassettes.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, ex := range []struct{ id, path, sym, volatile string }{
		{"binance_spot", "/api/v3/klines", "BTCUSDT", "recvWindow"},
		{"okx_spot", "/api/v5/market/candles", "BTC-USDT", "okxTs"},
	} {
		c, err := f.Exchange(ex.id, &cassettes.Options{UpstreamREST: "https://" + ex.id + ".example", VolatileParams: []string{ex.volatile}})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := f.Exchange(ex.id, nil); err != nil || again != c {
			t.Fatalf("Exchange(%s) a second time: %p, %v; want the same cassette %p", ex.id, again, err, c)
		}
		for j := range 3 {
			ix := &cassettes.Interaction{Method: "GET", Path: ex.path, Query: fmt.Sprintf("symbol=%s&page=%d&%s=1", ex.sym, j, ex.volatile),
				Status: 200, Body: []byte(fmt.Sprintf(`{"exchange":%q,"page":%d}`, ex.id, j)), Start: time.UnixMilli(t0 + int64(j)*1000)}
			if err := c.AddInteraction(ix); err != nil {
				t.Fatal(err)
			}
		}
		id, err := c.BeginConn("/ws/"+ex.id, time.UnixMilli(t0))
		if err != nil {
			t.Fatal(err)
		}
		if id != 1 {
			t.Errorf("%s: first connection id %d; each exchange numbers its own from 1", ex.id, id)
		}
		for j := range 2 + i {
			if err := c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: 1, Offset: time.Duration(j) * time.Second, Payload: []byte(ex.id)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.EndConn(id, time.UnixMilli(t0+5000), 1000); err != nil {
			t.Fatal(err)
		}
		if err := c.AddCandles(cassettes.Series{Symbol: ex.sym, Interval: cc.Interval1m, Candles: minuteCandles(t0, 10*(i+1), true)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOneFileHoldsSeveralExchangesEachInItsOwnBuckets(t *testing.T) {
	path := recordTwo(t)
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if m := f.Meta(); m.Format != cassettes.MultiFormat || cassettes.FormatVersion != 4 || !f.Multi() || m.Exchange != "" {
		t.Fatalf("file meta %+v, multi=%v; want format 4 naming no single exchange", m, f.Multi())
	}
	if got := f.Exchanges(); !slices.Equal(got, []string{"binance_spot", "okx_spot"}) {
		t.Fatalf("Exchanges() = %v", got)
	}
	for i, want := range []struct{ id, path, sym, volatile string }{
		{"binance_spot", "/api/v3/klines", "BTCUSDT", "recvWindow"},
		{"okx_spot", "/api/v5/market/candles", "BTC-USDT", "okxTs"},
	} {
		c, err := f.Exchange(want.id, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := c.Meta()
		if m.Exchange != want.id || m.Format != 4 || m.Interactions != 3 || m.Conns != 1 || m.Frames != int64(2+i) ||
			m.UpstreamREST != "https://"+want.id+".example" || !slices.Contains(m.VolatileParams, want.volatile) {
			t.Errorf("%s meta: %+v", want.id, m)
		}
		var bodies []string
		if err := c.Interactions(func(ix *cassettes.Interaction) error {
			if ix.Path != want.path {
				t.Errorf("%s holds an interaction of %s", want.id, ix.Path)
			}
			bodies = append(bodies, string(ix.Body))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(bodies) != 3 || !strings.Contains(bodies[2], `"exchange":"`+want.id+`","page":2`) {
			t.Errorf("%s bodies %q", want.id, bodies)
		}
		// The match key leaves out this exchange's volatile param.
		got, err := c.Lookup("GET", want.path, fmt.Sprintf("symbol=%s&page=1&%s=999", want.sym, want.volatile), nil)
		if err != nil || len(got) != 1 || !strings.Contains(string(got[0].Body), `"page":1`) {
			t.Errorf("%s lookup ignoring its volatile param: %v, %v", want.id, got, err)
		}
		cs, err := c.Candles(want.sym, cc.Interval1m, 0, t0+time.Hour.Milliseconds())
		if err != nil || len(cs) != 10*(i+1) {
			t.Errorf("%s candles: %d, %v; want %d", want.id, len(cs), err, 10*(i+1))
		}
		keys, err := c.Series()
		if err != nil || len(keys) != 1 || keys[0].Symbol != want.sym {
			t.Errorf("%s series %v, %v: another exchange's series leaked in", want.id, keys, err)
		}
	}
	if _, err := f.Exchange("kraken_spot", nil); !errors.Is(err, cassettes.ErrNoSuchExchange) {
		t.Errorf("an exchange the file lacks: %v, want ErrNoSuchExchange", err)
	}

	fv, err := f.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if len(fv.Exchanges) != 2 || fv.Pages == 0 || !fv.Sealed || fv.Exchanges[1].Exchange != "okx_spot" ||
		fv.Exchanges[1].Interactions != 3 || fv.Exchanges[1].Frames != 3 || fv.Exchanges[1].Candles != 20 {
		t.Errorf("Verify: %+v", fv)
	}
	s, err := f.Summarize()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Exchanges) != 2 || s.Exchanges[0].Meta.Exchange != "binance_spot" || s.Exchanges[1].Paths["GET /api/v5/market/candles"] != 3 ||
		s.FileSize == 0 || s.RawBytes != s.Exchanges[0].Meta.RawBytes+s.Exchanges[1].Meta.RawBytes {
		t.Errorf("Summarize: %+v", s)
	}
}

func TestOpenPicksOneExchangeOfAMultiExchangeFile(t *testing.T) {
	path := recordTwo(t)
	if _, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true}); !errors.Is(err, cassettes.ErrMultiExchange) ||
		!strings.Contains(err.Error(), "binance_spot, okx_spot") {
		t.Fatalf("Open naming no exchange: %v, want ErrMultiExchange listing both", err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true, Exchange: "okx_spot"})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Meta(); m.Exchange != "okx_spot" || m.Interactions != 3 {
		t.Errorf("Open(okx_spot) meta %+v", m)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Appending to one exchange, and adding a third, through Open: the
	// single-exchange API writes into the file's buckets.
	for _, id := range []string{"okx_spot", "kraken_spot"} {
		w, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: id, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/more", Status: 200, Body: []byte(id)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Exchanges(); !slices.Equal(got, []string{"binance_spot", "okx_spot", "kraken_spot"}) {
		t.Fatalf("after appending: %v", got)
	}
	for id, want := range map[string]int64{"binance_spot": 3, "okx_spot": 4, "kraken_spot": 1} {
		c, err := f.Exchange(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := c.Meta().Interactions; n != want {
			t.Errorf("%s: %d interactions, want %d", id, n, want)
		}
	}
	if _, err := f.Verify(); err != nil {
		t.Errorf("Verify after appending: %v", err)
	}
}

// TestSingleExchangeFormatsOpenAsAFileOfOne: formats 1 to 3 (the committed
// fixtures) open through OpenFile as the one exchange they hold, read as
// before; they cannot take a second exchange, and Open still creates a
// format-3 file, which builds before format 4 read.
func TestSingleExchangeFormatsOpenAsAFileOfOne(t *testing.T) {
	for format, name := range map[int]string{1: "binance_spot-format1.cassette", 2: "binance_spot-format2.cassette", 3: "binance_spot.cassette"} {
		t.Run(fmt.Sprintf("format %d", format), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if f.Multi() || f.Meta().Format != format || !slices.Equal(f.Exchanges(), []string{"binance_spot"}) {
				t.Fatalf("format-%d file: multi=%v meta=%+v exchanges=%v", format, f.Multi(), f.Meta(), f.Exchanges())
			}
			c, err := f.Exchange("binance_spot", nil)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if err := c.Interactions(func(*cassettes.Interaction) error { n++; return nil }); err != nil || n == 0 {
				t.Errorf("read %d interactions, %v", n, err)
			}
			if _, err := f.Exchange("okx_spot", nil); !errors.Is(err, cassettes.ErrNoSuchExchange) {
				t.Errorf("another exchange: %v, want ErrNoSuchExchange", err)
			}
			fv, err := f.Verify()
			if err != nil || len(fv.Exchanges) != 1 || fv.Exchanges[0].Interactions != n {
				t.Errorf("Verify: %+v, %v", fv, err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := cassettes.OpenFile(path, 0o644, nil); !errors.Is(err, cassettes.ErrSingleExchange) {
				t.Errorf("OpenFile for writing: %v, want ErrSingleExchange", err)
			}
		})
	}
	c, path := mustCreate(t, nil)
	c.Close()
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Multi() || f.Meta().Format != cassettes.SingleFormat || cassettes.SingleFormat != 3 {
		t.Errorf("a new cassette from Open: format %d, multi=%v; want format 3", f.Meta().Format, f.Multi())
	}
}

// TestDamageInOneExchangeIsNamedWithItsBucketPath: a flipped byte in
// okx_spot's interactions fails its checksum, reported under
// exchanges/okx_spot/interactions; binance_spot still reads.
func TestDamageInOneExchangeIsNamedWithItsBucketPath(t *testing.T) {
	path := recordTwo(t)
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("exchanges")).Bucket([]byte("okx_spot")).Bucket([]byte("interactions"))
		k, v := b.Cursor().First()
		bad := slices.Clone(v)
		bad[len(bad)/2] ^= 0x10
		return b.Put(slices.Clone(k), bad)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := cassettes.OpenFile(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.Verify()
	var ce *cassettes.CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, cassettes.ErrChecksum) || ce.Bucket != "exchanges/okx_spot/interactions" || ce.Key != "1" {
		t.Fatalf("Verify: %v (%+v), want a checksum error at exchanges/okx_spot/interactions key 1", err, ce)
	}
	b, _ := f.Exchange("binance_spot", nil)
	if _, err := b.Verify(); err != nil {
		t.Errorf("binance_spot, undamaged: %v", err)
	}
}
