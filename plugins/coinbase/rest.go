package coinbase

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

const candlesPrefix = "/api/v3/brokerage/market/products/"

type handler struct {
	env *plugins.Env
}

// Handler implements plugins.Plugin. The WS feed shares the root path with
// REST: an upgrade request to "/" opens a market-data connection.
func (*Plugin) Handler(env *plugins.Env) http.Handler {
	h := &handler{env: env}
	return h.routes().Mux(h.fallback)
}

// Routes implements plugins.Plugin from the handler's own table.
func (*Plugin) Routes() (rest, ws []string) { return (&handler{}).routes().Routes() }

// routes is the route table both Handler and Routes are built from.
func (h *handler) routes() kit.Table {
	return kit.Table{
		{Pattern: "GET /api/v3/brokerage/market/products", Handler: h.products},
		{Pattern: "GET /api/v3/brokerage/market/products/{id}", Probes: []string{"/api/v3/brokerage/market/products/BTC-USD"}, Handler: h.product},
		{Pattern: "GET /api/v3/brokerage/market/products/{id}/ticker", Probes: []string{"/api/v3/brokerage/market/products/BTC-USD/ticker", "/api/v3/brokerage/market/products/BTC-USD/ticker?limit=5&start=1&end=2"}, Handler: h.marketTrades},
		{Pattern: "GET /api/v3/brokerage/market/products/{id}/candles", Probes: []string{"/api/v3/brokerage/market/products/BTC-USD/candles"}, Handler: h.candles},
		{Pattern: "GET /api/v3/brokerage/market/product_book", Probes: []string{"/api/v3/brokerage/market/product_book", "/api/v3/brokerage/market/product_book?product_id=BTC-USD&limit=5"}, Handler: h.productBook},
		{Pattern: "GET /api/v3/brokerage/time", Handler: h.brokerageTime},
		{Pattern: "GET /v2/time", Handler: h.v2Time},
		{Pattern: "GET /v2/currencies", Handler: h.fiatCurrencies},
		{Pattern: "GET /v2/currencies/crypto", Handler: h.cryptoCurrencies},
		{Pattern: "GET /v2/exchange-rates", Handler: h.exchangeRates},
		// The WS feed: an upgrade at the root (fallback tells it apart).
		{Pattern: "/{$}", WS: true, Handler: h.fallback},
	}
}

func (h *handler) fallback(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		plugins.ServeWS(h.env, w, r, &wsProto{}, wsOptions)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		// The Coinbase App v2 API has its own error list shape.
		writeRaw(w, http.StatusNotFound, []byte(`{"errors":[{"id":"not_found","message":"Not found"}]}`))
		return
	}
	writeError(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
}

// errorBody is Coinbase's error envelope.
func errorBody(code, msg string) []byte {
	b, _ := json.Marshal(struct {
		Error        string `json:"error"`
		ErrorDetails string `json:"error_details"`
		Message      string `json:"message"`
	}{code, msg, msg})
	return b
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeRaw(w, status, errorBody(code, msg))
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
		return
	}
	writeRaw(w, http.StatusOK, b)
}

func (h *handler) now() time.Time { return h.env.Clock.Now() }

// candles serves GET /api/v3/brokerage/market/products/{id}/candles.
func (h *handler) candles(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	pair, ok := h.env.PairBySymbol(id)
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "product not found")
		return
	}
	gs := q.Get("granularity")
	iv, ok := granularities.Parse(gs)
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "granularity argument is invalid")
		return
	}
	start, err1 := parseSeconds(q.Get("start"))
	end, err2 := parseSeconds(q.Get("end"))
	switch {
	case q.Get("start") == "" || q.Get("end") == "":
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "start and end are required")
		return
	case err1 != nil:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid start: "+strconv.Quote(q.Get("start")))
		return
	case err2 != nil:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid end: "+strconv.Quote(q.Get("end")))
		return
	case end < start:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "start must be before end")
		return
	}
	limit := 0
	if ls := q.Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid limit: "+strconv.Quote(ls))
			return
		}
		if n > MaxCandles {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "number of candles requested should be less than or equal to 350")
			return
		}
		limit = n
	}
	dur := iv.Millis()
	startMs, endMs := start*1000, end*1000
	if limit == 0 && (endMs-startMs)/dur > MaxCandles {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "number of candles requested should be less than or equal to 350")
		return
	}
	// Buckets whose start lies in [start, end).
	from := iv.Truncate(startMs)
	if from < startMs {
		from = iv.Next(from)
	}
	to := iv.Truncate(endMs - 1)
	if limit > 0 {
		// Only the newest limit buckets are answered: never build the
		// rest (start=0 would ask for decades of candles).
		newest := min(to, iv.Truncate(h.env.Clock.NowMillis()))
		if lo := newest - int64(limit-1)*dur; lo > from {
			from = lo
		}
	}
	var cs []cc.Candle
	if from <= to && endMs > startMs {
		var err error
		cs, err = h.env.Market.Candles(r.Context(), pair.Symbol, iv, from, iv.Next(to), h.env.Clock.NowMillis())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "INTERNAL", "internal server error")
			return
		}
	}
	if limit > 0 && len(cs) > limit {
		cs = cs[len(cs)-limit:]
	}
	writeRaw(w, http.StatusOK, appendCandles(nil, cs))
}

// appendCandles writes {"candles":[...]} newest first.
func appendCandles(b []byte, cs []cc.Candle) []byte {
	b = append(b, `{"candles":[`...)
	for i := len(cs) - 1; i >= 0; i-- {
		if i != len(cs)-1 {
			b = append(b, ',')
		}
		b = appendCandle(b, cs[i], "", false)
	}
	return append(b, "]}"...)
}

// appendCandle writes one candle object. REST lists low before high; the
// WS channel lists high first and adds the product id.
func appendCandle(b []byte, c cc.Candle, productID string, ws bool) []byte {
	b = append(b, `{"start":"`...)
	b = strconv.AppendInt(b, c.OpenTime/1000, 10)
	if ws {
		b = appendField(b, "high", c.High)
		b = appendField(b, "low", c.Low)
	} else {
		b = appendField(b, "low", c.Low)
		b = appendField(b, "high", c.High)
	}
	b = appendField(b, "open", c.Open)
	b = appendField(b, "close", c.Close)
	b = appendField(b, "volume", c.Volume)
	if ws {
		b = append(b, `","product_id":"`...)
		b = append(b, productID...)
	}
	return append(b, `"}`...)
}

func appendField(b []byte, name string, d cc.Decimal) []byte {
	b = append(b, `","`...)
	b = append(b, name...)
	b = append(b, `":"`...)
	return d.AppendTrim(b, int(d.Scale))
}

// maxSeconds bounds timestamps (about year 36800) so that converting them
// to milliseconds cannot overflow.
const maxSeconds = 1 << 40

func parseSeconds(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > maxSeconds {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func (h *handler) brokerageTime(w http.ResponseWriter, r *http.Request) {
	now := h.now().UTC()
	writeJSON(w, struct {
		ISO          string `json:"iso"`
		EpochSeconds string `json:"epochSeconds"`
		EpochMillis  string `json:"epochMillis"`
	}{now.Format("2006-01-02T15:04:05Z"), strconv.FormatInt(now.Unix(), 10), strconv.FormatInt(now.UnixMilli(), 10)})
}

func (h *handler) v2Time(w http.ResponseWriter, r *http.Request) {
	now := h.now().UTC()
	type data struct {
		ISO   string `json:"iso"`
		Epoch int64  `json:"epoch"`
	}
	writeJSON(w, struct {
		Data data `json:"data"`
	}{data{now.Format("2006-01-02T15:04:05Z"), now.Unix()}})
}
