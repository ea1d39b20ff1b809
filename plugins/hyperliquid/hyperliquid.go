package hyperliquid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func init() {
	plugins.Register(&Spot{})
	plugins.Register(&Perpetual{api{perp: true}})
}

var (
	_ plugins.Plugin = (*Spot)(nil)
	_ plugins.Plugin = (*Perpetual)(nil)
)

// Spot is the hyperliquid_spot plugin.
type Spot struct{ api }

// Perpetual is the hyperliquid_perpetual plugin.
type Perpetual struct{ api }

type api struct{ perp bool }

// Name implements plugins.Plugin.
func (a *api) Name() string {
	if a.perp {
		return "hyperliquid_perpetual"
	}
	return "hyperliquid_spot"
}

// intervals are Hyperliquid's candle intervals (candleSnapshot's and the
// candle subscription's "interval"); they are spelled the canonical way.
var intervals = plugins.CanonicalNames([]cc.Interval{
	cc.Interval1m, cc.Interval3m, cc.Interval5m, cc.Interval15m, cc.Interval30m,
	cc.Interval1h, cc.Interval2h, cc.Interval4h, cc.Interval8h, cc.Interval12h,
	cc.Interval1d, cc.Interval3d, cc.Interval1w, cc.Interval1M,
})

// intervalList names every interval as the exchange's deserializer error
// lists them: `1m`, `3m`, ..., `1M`.
var intervalList = func() string {
	var b strings.Builder
	for i, r := range intervals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + r.Name + "`")
	}
	return b.String()
}()

// maxCandles is the most candles one candleSnapshot returns.
const maxCandles = 5000

// Defaults implements plugins.Plugin.
func (a *api) Defaults() plugins.Defaults {
	d := plugins.Defaults{
		UpstreamREST:   "https://api.hyperliquid.xyz",
		UpstreamWS:     "wss://api.hyperliquid.xyz",
		MaxLimit:       maxCandles,
		Hosts:          []string{"api.hyperliquid.xyz"}, // POST /info, /exchange and WS /ws, spot and perpetuals alike
		VolatileParams: []string{"endTime", "nonce", "signature"},
		SecretParams:   []string{"signature", "nonce"},
	}
	d.Intervals, d.IntervalNames = intervals.Intervals(), intervals
	return d
}

// Symbol implements plugins.Plugin: the perpetual's base, or the spot
// pair's "@index" name.
func (a *api) Symbol(p cc.Pair) string {
	if a.perp {
		return p.Base
	}
	return spotCoin(p)
}

// unitTokens are Hyperliquid's wrapped ("Unit") spot tokens and the real
// spot index of their USDC pair.
var unitTokens = map[string]struct {
	name, full string
	index      int
}{
	"BTC": {"UBTC", "Unit Bitcoin", 142},
	"ETH": {"UETH", "Unit Ethereum", 151},
	"SOL": {"USOL", "Unit Solana", 156},
}

// fixedIndex are other real spot indexes.
var fixedIndex = map[string]int{"PURR": 0, "HYPE": 107}

// spotQuote maps a pair's quote to the spot quote token.
func spotQuote(q string) string {
	switch q {
	case "USDT", "USD", "USDC":
		return "USDC"
	}
	return q
}

// spotBase is the base token's name and full name.
func spotBase(p cc.Pair) (name string, full *string) {
	if u, ok := unitTokens[p.Base]; ok {
		f := u.full
		return u.name, &f
	}
	return p.Base, nil
}

// spotIndex is the universe index of the pair's spot market.
func spotIndex(p cc.Pair) int {
	if spotQuote(p.Quote) == "USDC" {
		if u, ok := unitTokens[p.Base]; ok {
			return u.index
		}
		if i, ok := fixedIndex[p.Base]; ok {
			return i
		}
	}
	h := fnv.New32a()
	h.Write([]byte(p.Base + "/" + spotQuote(p.Quote)))
	return 200 + int(h.Sum32()%300)
}

// spotCoin is the coin name of the pair's spot market.
func spotCoin(p cc.Pair) string {
	i := spotIndex(p)
	if i == 0 {
		name, _ := spotBase(p)
		return name + "/" + spotQuote(p.Quote)
	}
	return "@" + strconv.Itoa(i)
}

// ServerError implements plugins.Plugin.
func (a *api) ServerError() plugins.Response {
	return kit.ServerError("null")
}

// CandlesRequest implements plugins.Plugin: a POST /info candleSnapshot.
func (a *api) CandlesRequest(q plugins.Query) (*http.Request, error) {
	name, ok := intervals.Name(q.Interval)
	if !ok {
		return nil, fmt.Errorf("hyperliquid: interval %q not served", q.Interval)
	}
	start, end := q.Start, q.End
	n := q.Limit
	if n <= 0 {
		n = maxCandles
	}
	switch {
	case start > 0 && end == 0:
		end = q.Interval.CloseTime(q.Interval.Add(q.Interval.Truncate(start), n-1))
	case start > 0 && q.Limit > 0:
		end = min(end, q.Interval.CloseTime(q.Interval.Add(q.Interval.Truncate(start), n-1)))
	case start == 0 && end > 0:
		start = q.Interval.Add(q.Interval.Truncate(end), 1-n)
	case start == 0 && end == 0:
		return nil, fmt.Errorf("hyperliquid: candleSnapshot needs a start or an end time")
	}
	body, _ := json.Marshal(map[string]any{
		"type": "candleSnapshot",
		"req":  map[string]any{"coin": q.Symbol, "interval": name, "startTime": start, "endTime": end},
	})
	req, err := http.NewRequest(http.MethodPost, "/info", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// requestBody reads req's body without consuming it: through GetBody
// when set, else by reading Body and putting an unread copy back.
func requestBody(req *http.Request) []byte {
	if req.GetBody != nil {
		if r, err := req.GetBody(); err == nil {
			b, _ := readAll(r)
			return b
		}
	}
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	b, _ := readAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// candle is Hyperliquid's candle object (REST and WS).
type candle struct {
	T     int64      `json:"t"`
	Close int64      `json:"T"`
	S     string     `json:"s"`
	I     string     `json:"i"`
	O     cc.Decimal `json:"o"`
	C     cc.Decimal `json:"c"`
	H     cc.Decimal `json:"h"`
	L     cc.Decimal `json:"l"`
	V     cc.Decimal `json:"v"`
	N     int64      `json:"n"`
}

// candle converts k. Hyperliquid carries no quote volume; it stays zero.
func (k candle) candle(iv cc.Interval, closed bool) cc.Candle {
	return cc.Candle{
		OpenTime: k.T, CloseTime: iv.CloseTime(k.T),
		Open: k.O, High: k.H, Low: k.L, Close: k.C, Volume: k.V,
		Trades: k.N, Closed: closed,
	}
}

// DecodeCandles implements plugins.Plugin for candleSnapshot replies. The
// request body must still be readable (GetBody or Body).
func (a *api) DecodeCandles(req *http.Request, body []byte) (plugins.CandleSet, error) {
	if req.URL.Path != "/info" {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	rb := requestBody(req)
	var snap snapshotReq
	if err := json.Unmarshal(rb, &snap); err != nil || snap.Type != "candleSnapshot" || snap.Req == nil {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	iv, ok := intervals.Parse(snap.Req.Interval)
	if !ok {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	var rows []candle
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return plugins.CandleSet{}, plugins.ErrNotCandles
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return plugins.CandleSet{}, fmt.Errorf("%w: %v", plugins.ErrNotCandles, err)
	}
	set := plugins.CandleSet{Symbol: snap.Req.Coin, Interval: iv}
	for i, r := range rows {
		// Every candle but the last is closed; the last one is closed if
		// the requested range reaches its close.
		closed := i < len(rows)-1 || snap.Req.EndTime >= iv.CloseTime(r.T)
		set.Candles = append(set.Candles, r.candle(iv, closed))
	}
	return set, nil
}

// KlineSubscription tells the conformance suite how a client streams
// klines.
func (a *api) KlineSubscription(symbol string, iv cc.Interval) (string, [][]byte) {
	msg := fmt.Sprintf(`{"method":"subscribe","subscription":{"type":"candle","coin":%q,"interval":%q}}`, symbol, iv)
	return "/ws", [][]byte{[]byte(msg)}
}
