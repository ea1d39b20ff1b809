package binance_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/compat/compattest"
	"github.com/candlecassette/candlecassette/plugins"
)

// Proxy mode: an unmodified go-binance program (../cmd/gobinance-proxy: no
// base URL, no WS variable, no proxy set in code) runs as a child process
// with nothing but HTTPS_PROXY and SSL_CERT_FILE pointing at the binary
// and its test CA. Env is process-wide and crypto/x509 reads SSL_CERT_FILE
// once per process, hence the child. A Tap between the two writes down
// every connection the client opens to the proxy.

// proxied is one Binance market as go-binance reaches it by default. A
// market served under more ids at once (COIN-M on dapi.binance.com, `synth
// --all`) is a row.
type proxied struct {
	market string // the name of the markets row used for direct reads
	flag   string // gobinance-proxy -market
	// connects are the CONNECT targets go-binance opens: REST, then WS.
	connects []string
}

var proxiedMarkets = []proxied{
	{market: "spot", flag: "spot", connects: []string{"api.binance.com:443", "stream.binance.com:9443"}},
	{market: "futures", flag: "usdm", connects: []string{"fapi.binance.com:443", "fstream.binance.com:443"}},
}

func (p proxied) m(t *testing.T) market {
	for _, m := range markets {
		if m.name == p.market {
			return m
		}
	}
	t.Fatalf("no markets row %q", p.market)
	return market{}
}

// clientRun is what gobinance-proxy printed.
type clientRun struct {
	symbols []string
	pages   [][]kline
	pushes  map[string][]wsKline // by stream: "kline", "combined"
}

// runClient runs gobinance-proxy through tap and decodes its output.
func runClient(t *testing.T, p proxied, tap *compattest.Tap, ca *compattest.CA, start int64) clientRun {
	t.Helper()
	out := compattest.RunProgram(t, compattest.GoProgram(t, "./cmd/gobinance-proxy"), compattest.ProxyEnv(t, tap.URL, ca.Cert),
		"-market", p.flag, "-start", strconv.FormatInt(start, 10), "-pages", "2", "-limit", "500", "-pushes", "2")
	run := clientRun{pushes: map[string][]wsKline{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var line struct {
			Kind    string
			Symbols []string
			Klines  []struct {
				Open, CloseTime int64
				O, H, L, C, V   string
			}
			Stream string
			Event  struct {
				Symbol, Interval, Open, Close string
				Start, End                    int64
				Final                         bool
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("gobinance-proxy printed %q: %v", sc.Text(), err)
		}
		switch line.Kind {
		case "exchangeInfo":
			run.symbols = slices.Sorted(slices.Values(line.Symbols))
		case "klines":
			var ks []kline
			for _, k := range line.Klines {
				ks = append(ks, kline{open: k.Open, close: k.CloseTime, o: k.O, h: k.H, l: k.L, c: k.C, v: k.V})
			}
			run.pages = append(run.pages, ks)
		case "ws":
			e := line.Event
			run.pushes[line.Stream] = append(run.pushes[line.Stream], wsKline{event: "kline", symbol: e.Symbol,
				interval: e.Interval, start: e.Start, end: e.End, o: e.Open, c: e.Close, final: e.Final})
		default:
			t.Fatalf("gobinance-proxy printed an unknown kind: %s", sc.Text())
		}
	}
	return run
}

// checkRun fails the test unless run has the pairs in exchangeInfo, two
// joined pages of 500 klines from start, and pushes of the candle in
// progress on both WS streams.
func checkRun(t *testing.T, run clientRun, start int64) {
	t.Helper()
	for _, s := range []string{"BTCUSDT", "ETHUSDT"} {
		if !slices.Contains(run.symbols, s) {
			t.Errorf("exchangeInfo symbols %v lack %s", run.symbols, s)
		}
	}
	if len(run.pages) != 2 {
		t.Fatalf("%d klines pages, want 2", len(run.pages))
	}
	for i, ks := range run.pages {
		if len(ks) != 500 {
			t.Fatalf("page %d has %d klines, want 500", i, len(ks))
		}
		compattest.CheckSeries(t, bars(t, ks), cc.Interval1m)
	}
	if got := run.pages[0][0].open; got != start {
		t.Errorf("page 0 opens at %d, want start %d", got, start)
	}
	compattest.CheckJoin(t, bars(t, run.pages[0]), bars(t, run.pages[1]), cc.Interval1m)

	now := time.Now().UnixMilli()
	for _, stream := range []string{"kline", "combined"} {
		ps := run.pushes[stream]
		if len(ps) < 2 {
			t.Errorf("%s stream: %d pushes, want 2", stream, len(ps))
		}
		seen := map[string]bool{}
		for _, e := range ps {
			seen[e.symbol] = true
			if e.interval != "1m" || e.start != cc.Interval1m.Truncate(e.start) || e.end != cc.Interval1m.CloseTime(e.start) {
				t.Errorf("%s stream: push %+v is not one 1m candle", stream, e)
			}
			if e.start > now || now-e.end > 5*60_000 {
				t.Errorf("%s stream: push %+v is not a recent candle (now %d)", stream, e, now)
			}
		}
		want := []string{"BTCUSDT"}
		if stream == "combined" {
			want = append(want, "ETHUSDT")
		}
		if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, want) {
			t.Errorf("%s stream: pushes for %v, want %v", stream, got, want)
		}
	}
}

// checkTap fails the test unless every connection the client opened was a
// CONNECT to one of the exchange's hosts, and go-binance opened exactly
// the tunnels of p: one for REST, one per WS stream.
func checkTap(t *testing.T, p proxied, exchange string, tap *compattest.Tap) {
	t.Helper()
	pl, err := plugins.Lookup(exchange)
	if err != nil {
		t.Fatal(err)
	}
	hosts := pl.Defaults().Hosts
	targets, others := tap.Connects()
	if len(others) > 0 {
		t.Errorf("the client sent the proxy requests that are no CONNECT: %q", others)
	}
	for _, tg := range targets {
		host, _, _ := strings.Cut(tg, ":")
		if !slices.Contains(hosts, host) {
			t.Errorf("the client asked the proxy for %s, not a host of %s (%v)", tg, exchange, hosts)
		}
	}
	rest, ws := p.connects[0], p.connects[1]
	want := []string{rest, ws, ws} // REST on one kept-alive tunnel; WsKlineServe, WsCombinedKlineServe
	got := slices.Clone(targets)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("CONNECT targets %v, want %v", targets, want)
	}
}

// checkServed fails the test unless srv's handler served the client's
// three REST requests (exchangeInfo, two klines pages) and two WS
// connections: what the client got came from srv.
func checkServed(t *testing.T, srv *compattest.Server) {
	t.Helper()
	st := compattest.ReadStatus(t, srv)
	if st.Requests != 3 || st.WS.TotalConnections != 2 {
		t.Errorf("%s served %d REST requests and %d WS connections, want the client's 3 and 2", srv.Exchange, st.Requests, st.WS.TotalConnections)
	}
}

func TestGoBinanceUnchangedThroughTheProxy(t *testing.T) {
	for _, p := range proxiedMarkets {
		m := p.m(t)
		t.Run(m.name+" through synth "+m.exchange, func(t *testing.T) {
			ca := compattest.NewCA(t)
			srv := compattest.StartBinary(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
			tap := compattest.NewTap(t, srv)
			start := compattest.CurrentOpen(cc.Interval1m, time.Now()) - 3000*60_000
			run := runClient(t, p, tap, ca, start)
			checkRun(t, run, start)
			checkTap(t, p, m.exchange, tap)
			checkServed(t, srv)

			// The same klines a client pointed straight at the server gets.
			direct, err := m.connect(t, srv).klines(ctx(t), kq{symbol: "BTCUSDT", interval: "1m", start: start, limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(direct, run.pages[0]) {
				t.Errorf("page 0 through the proxy differs from the server's direct answer")
			}
		})
	}
}

func TestGoBinanceUnchangedThroughRecordThenReplay(t *testing.T) {
	for _, p := range proxiedMarkets {
		m := p.m(t)
		t.Run(m.name+" through record then replay "+m.exchange, func(t *testing.T) {
			ca := compattest.NewCA(t)
			upstream := compattest.StartBinary(t, m.exchange, compattest.Options{Pairs: pairs, Seed: 7})
			cassette := filepath.Join(t.TempDir(), m.exchange+".cassette")
			rec := compattest.StartRecorder(t, m.exchange, upstream, cassette)
			tap := compattest.NewTap(t, rec)
			start := compattest.CurrentOpen(cc.Interval1m, time.Now()) - 3000*60_000
			recorded := runClient(t, p, tap, ca, start)
			checkRun(t, recorded, start)
			checkTap(t, p, m.exchange, tap)
			checkServed(t, upstream) // every request went on to the upstream
			if err := rec.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := upstream.Stop(); err != nil {
				t.Fatal(err)
			}

			// Offline now; a seed unlike the recording's would show any
			// candle the replay made up instead of reading it back.
			rep := compattest.StartReplay(t, m.exchange, cassette, "--seed", "12345")
			tap = compattest.NewTap(t, rep)
			replayed := runClient(t, p, tap, ca, start)
			checkRun(t, replayed, start)
			checkTap(t, p, m.exchange, tap)
			checkServed(t, rep)
			for i := range recorded.pages {
				if !slices.Equal(recorded.pages[i], replayed.pages[i]) {
					t.Errorf("page %d differs between the recording and the replay", i)
				}
			}
			if !slices.Equal(recorded.symbols, replayed.symbols) {
				t.Errorf("exchangeInfo symbols: recorded %v, replayed %v", recorded.symbols, replayed.symbols)
			}
		})
	}
}
