package kraken

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

type handler struct {
	env *plugins.Env
}

// Handler implements plugins.Plugin. Public endpoints answer GET and POST
// (form body) alike, as Kraken's do; WS v2 is at /v2 and v1 at the root.
func (*Plugin) Handler(env *plugins.Env) http.Handler {
	h := &handler{env: env}
	return h.routes().Mux(notFound)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, http.StatusNotFound, []byte(`{"error":["EGeneral:Unknown method"]}`))
}

// Routes implements plugins.Plugin from the handler's own table.
func (*Plugin) Routes() (rest, ws []string) { return (&handler{}).routes().Routes() }

// routes is the route table both Handler and Routes are built from.
func (h *handler) routes() kit.Table {
	return kit.Table{
		{Pattern: "/0/public/OHLC", Probes: []string{"/0/public/OHLC", "POST /0/public/OHLC"}, Handler: h.ohlc},
		{Pattern: "/0/public/Assets", Handler: h.assets},
		{Pattern: "/0/public/AssetPairs", Handler: h.assetPairs},
		{Pattern: "/0/public/Ticker", Handler: h.ticker},
		{Pattern: "/0/public/Trades", Probes: []string{"/0/public/Trades", "/0/public/Trades?pair=XBTUSD&since=1", "POST /0/public/Trades"}, Handler: h.trades},
		{Pattern: "/0/public/Spread", Probes: []string{"/0/public/Spread", "/0/public/Spread?pair=XBTUSD"}, Handler: h.spread},
		{Pattern: "/0/public/Depth", Probes: []string{"/0/public/Depth", "/0/public/Depth?pair=XBTUSD&count=5"}, Handler: h.depth},
		{Pattern: "/0/public/Time", Handler: h.time},
		{Pattern: "/0/public/SystemStatus", Handler: h.systemStatus},
		{Pattern: "/v2", WS: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			plugins.ServeWS(h.env, w, r, &wsProto{}, wsOptions)
		}},
		// ws.kraken.com: the v1 API at the root; anything else there is a 404.
		{Pattern: "/{$}", WS: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				notFound(w, r)
				return
			}
			plugins.ServeWS(h.env, w, r, &wsV1{}, wsOptions)
		}},
	}
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// fail answers a Kraken error; Kraken reports them with HTTP 200.
func fail(w http.ResponseWriter, errs ...string) {
	b, _ := json.Marshal(struct {
		Error []string `json:"error"`
	}{errs})
	writeRaw(w, http.StatusOK, b)
}

func ok(w http.ResponseWriter, result any) {
	b, err := json.Marshal(struct {
		Error  []string `json:"error"`
		Result any      `json:"result"`
	}{[]string{}, result})
	if err != nil {
		fail(w, "EGeneral:Internal error")
		return
	}
	writeRaw(w, http.StatusOK, b)
}

// pairRequest reads a public request's form and its pair, answering
// Kraken's error itself (ok false) when the form is bad, the pair is
// missing or unknown, or serves is false (the market has no such data).
func (h *handler) pairRequest(w http.ResponseWriter, r *http.Request, serves bool) (form map[string][]string, p cc.Pair, n pairNames, ok bool) {
	form, good := params(r)
	if !good {
		fail(w, "EGeneral:Invalid arguments")
		return nil, p, n, false
	}
	pairName := get(form, "pair")
	if pairName == "" {
		fail(w, "EGeneral:Invalid arguments:pair")
		return nil, p, n, false
	}
	p, n, found := h.lookup(pairName)
	if !found || !serves {
		fail(w, "EQuery:Unknown asset pair")
		return nil, p, n, false
	}
	return form, p, n, true
}

// countParam reads the count parameter: def when absent, at most max;
// ok false (Kraken's error answered) when it is not a positive integer.
func countParam(w http.ResponseWriter, form map[string][]string, def, max int) (int, bool) {
	s := get(form, "count")
	if s == "" {
		return def, true
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		fail(w, "EGeneral:Invalid arguments:count")
		return 0, false
	}
	return min(v, max), true
}

func params(r *http.Request) (map[string][]string, bool) {
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	return r.Form, true
}

func get(form map[string][]string, k string) string {
	if v := form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// lookup finds the configured pair a client names by key, altname, wsname
// or WS v2 symbol.
func (h *handler) lookup(name string) (cc.Pair, pairNames, bool) {
	name = strings.ToUpper(name)
	for _, p := range h.env.Pairs {
		n := namesOf(p)
		if name == n.key || name == n.altname || name == n.wsname || name == n.v2 {
			return p, n, true
		}
	}
	return cc.Pair{}, pairNames{}, false
}

// ohlc serves /0/public/OHLC: up to the 720 most recent candles opening
// after since, oldest first, the last one always the candle in progress;
// `last` is the open time of the newest committed candle.
func (h *handler) ohlc(w http.ResponseWriter, r *http.Request) {
	form, p, n, ok := h.pairRequest(w, r, true)
	if !ok {
		return
	}
	m := 1
	if s := get(form, "interval"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			fail(w, "EGeneral:Invalid arguments")
			return
		}
		m = v
	}
	f, good := frameOf(m)
	if !good {
		fail(w, "EGeneral:Invalid arguments")
		return
	}
	var since int64 = -1
	if s := get(form, "since"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fail(w, "EGeneral:Invalid arguments")
			return
		}
		// Far-future values only mean "nothing committed after now";
		// the bound keeps since*1000 from overflowing.
		since = min(v, 1<<40)
	}
	now := h.env.Clock.NowMillis()
	cur := f.truncate(now)
	from := cur
	for i := 1; i < MaxRows; i++ {
		from = f.prev(from)
	}
	if since >= 0 {
		// Candles opening after since.
		first := f.truncate(since * 1000)
		if first <= since*1000 {
			first = f.next(first)
		}
		// The row in progress is always present, whatever since says.
		from = min(max(from, first), cur)
	}
	cs, err := f.candles(r.Context(), h.env.Market, p.Symbol, from, f.next(cur), now)
	if err != nil {
		fail(w, "EGeneral:Internal error")
		return
	}
	places := h.priceDecimals(r.Context(), p)
	b := append([]byte(`{"error":[],"result":{"`), n.key...)
	b = append(b, `":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, c, places)
	}
	b = append(b, `],"last":`...)
	b = strconv.AppendInt(b, f.prev(cur)/1000, 10)
	b = append(b, "}}"...)
	writeRaw(w, http.StatusOK, b)
}

// appendRow writes [time,"open","high","low","close","vwap","volume",count].
func appendRow(b []byte, c cc.Candle, places int) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	for _, d := range []cc.Decimal{c.Open, c.High, c.Low, c.Close, vwap(c, places)} {
		b = append(b, `,"`...)
		// Never fewer digits than the value holds: a recorded price is
		// served as recorded even when the pair's precision, read from
		// the candle in progress, came out shorter.
		b = d.Append(b, max(places, int(d.Scale)))
		b = append(b, '"')
	}
	b = append(b, `,"`...)
	b = c.Volume.Append(b, 8)
	b = append(b, `",`...)
	b = strconv.AppendInt(b, c.Trades, 10)
	return append(b, ']')
}

// vwap is the quote volume over the base volume, or the close when nothing
// traded.
func vwap(c cc.Candle, places int) cc.Decimal {
	v := c.Volume.Float64()
	if v <= 0 || c.QuoteVolume.IsZero() {
		return c.Close
	}
	return cc.DecimalFromFloat(c.QuoteVolume.Float64()/v, places)
}

// priceDecimals is the pair's price precision: that of its candles.
func (h *handler) priceDecimals(ctx context.Context, p cc.Pair) int {
	now := h.env.Clock.NowMillis()
	open := cc.Interval1m.Truncate(now)
	cs, err := h.env.Market.Candles(ctx, p.Symbol, cc.Interval1m, open, open+60_000, now)
	if err != nil || len(cs) == 0 {
		return 2
	}
	return int(cs[0].Close.Scale)
}

func (h *handler) time(w http.ResponseWriter, r *http.Request) {
	now := h.env.Clock.Now().UTC()
	ok(w, struct {
		Unixtime int64  `json:"unixtime"`
		RFC1123  string `json:"rfc1123"`
	}{now.Unix(), now.Format("Mon, 02 Jan 06 15:04:05 -0700")})
}

func (h *handler) systemStatus(w http.ResponseWriter, r *http.Request) {
	ok(w, struct {
		Status    string `json:"status"`
		Timestamp string `json:"timestamp"`
	}{"online", h.env.Clock.Now().UTC().Format(time.RFC3339)})
}
