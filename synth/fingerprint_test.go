//go:build amd64 && !amd64.v3

// Candles are identical across machines for the same GOARCH and GOAMD64
// level (see the package doc): where the compiler fuses multiply-adds
// (amd64.v3, arm64) the last bits of a draw may differ, so the golden
// fingerprints below hold for the baseline amd64 build only.

package synth_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"testing"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/synth"
)

// fingerprintCase is one window of one market whose candles are hashed.
type fingerprintCase struct {
	name            string
	opts            synth.Options
	symbol          string
	iv              cc.Interval
	start, end, now int64
}

func fingerprintCases() []fingerprintCase {
	mixed := []cc.Pair{
		{Base: "BTC", Quote: "USDT", Price: 50000},
		{Base: "SHIB", Quote: "USDT", Price: 0.00001234},
		{Base: "ETH", Quote: "BTC"},
		{Base: "USDC", Quote: "USDT"},
		{Base: "FOO", Quote: "EUR", Price: 3.5},
	}
	markets := []struct {
		name string
		opts synth.Options
		syms []string
	}{
		{"zero", synth.Options{}, []string{"BTC-USDT"}},
		{"binance7", synth.Options{Seed: 7, Exchange: "binance_spot", Pairs: pairs()}, []string{"BTCUSDT", "ETHUSDT", "XRPUSDT"}},
		{"okx42", synth.Options{Seed: 42, Exchange: "okx_spot", Pairs: pairs(), RefTime: ms("2025-05-05T13:37:21Z")}, []string{"BTCUSDT", "XRPUSDT"}},
		{"mixed", synth.Options{Seed: 0xdeadbeefcafe, Exchange: "x", Pairs: mixed}, []string{"SHIB-USDT", "ETH-BTC", "USDC-USDT", "FOO-EUR"}},
	}
	type window struct {
		name  string
		start int64
		n     int64 // candles
		now   int64 // far for settled windows
	}
	var out []fingerprintCase
	for _, mk := range markets {
		for si, sym := range mk.syms {
			for _, iv := range cc.Intervals {
				n := int64(300)
				switch {
				case iv == cc.Interval1s:
					n = 1500
				case iv == cc.Interval1m:
					n = 2500
				case iv.Millis() >= 7*86_400_000:
					n = 40
				}
				if si > 0 && iv != cc.Interval1s && iv != cc.Interval1m && iv != cc.Interval1h && iv != cc.Interval1d {
					continue // every interval for the first symbol, a few for the others
				}
				mid := ms("2025-10-09T17:42:31Z") + 250
				ws := []window{
					{"2025", ms("2025-01-01T00:00:00Z") - 777*iv.Millis(), n, far},
					{"1969", ms("1969-12-30T05:00:00Z") - n/2*iv.Millis(), n, far},
					{"2231", ms("2231-06-17T11:11:00Z"), n, far},
					{"now", mid - (n-3)*iv.Millis(), n, mid},
				}
				for _, w := range ws {
					start := iv.Truncate(w.start)
					out = append(out, fingerprintCase{
						name:   fmt.Sprintf("%s/%s/%s/%s", mk.name, sym, iv, w.name),
						opts:   mk.opts,
						symbol: sym,
						iv:     iv,
						start:  start, end: start + w.n*iv.Millis(), now: w.now,
					})
				}
			}
		}
	}
	return out
}

// fingerprint hashes every field of every candle.
func fingerprint(cs []cc.Candle) string {
	h := sha256.New()
	var b []byte
	for _, c := range cs {
		b = b[:0]
		b = binary.LittleEndian.AppendUint64(b, uint64(c.OpenTime))
		b = binary.LittleEndian.AppendUint64(b, uint64(c.CloseTime))
		for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close, c.Volume, c.QuoteVolume, c.TakerBuyBase, c.TakerBuyQuote} {
			b = binary.LittleEndian.AppendUint64(b, uint64(d.Units))
			b = append(b, byte(d.Scale))
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(c.Trades))
		if c.Closed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%d:%s", len(cs), hex.EncodeToString(h.Sum(nil)[:12]))
}

// The candles of many windows (seeds, exchanges, pairs, every interval,
// before 1970 and after 2200, in-progress candles) hash to the values
// recorded when the generator was last deliberately changed: a speed-up
// must not move a single value. Set CC_SYNTH_FINGERPRINTS=print to print
// the table after a deliberate change.
func TestCandleFingerprints(t *testing.T) {
	got := map[string]string{}
	ms := map[string]*synth.Market{}
	for _, c := range fingerprintCases() {
		key := fmt.Sprintf("%+v", c.opts)
		m := ms[key]
		if m == nil {
			m = synth.New(c.opts)
			ms[key] = m
		}
		got[c.name] = fingerprint(candles(t, m, c.symbol, c.iv, c.start, c.end, c.now))
	}
	if os.Getenv("CC_SYNTH_FINGERPRINTS") == "print" {
		names := make([]string, 0, len(got))
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("\t%q: %q,\n", n, got[n])
		}
		return
	}
	if len(got) != len(goldenFingerprints) {
		t.Errorf("%d cases, %d golden fingerprints", len(got), len(goldenFingerprints))
	}
	bad := 0
	for n, want := range goldenFingerprints {
		if got[n] != want {
			bad++
			if bad <= 10 {
				t.Errorf("%s: fingerprint %s, want %s", n, got[n], want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d windows changed", bad, len(goldenFingerprints))
	}
}
