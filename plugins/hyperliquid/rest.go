package hyperliquid

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func readAll(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

type server struct {
	a   *api
	env *plugins.Env
}

// Handler implements plugins.Plugin.
func (a *api) Handler(env *plugins.Env) http.Handler {
	s := &server{a: a, env: env}
	return s.routes().Mux(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound) // Hyperliquid answers unknown paths with an empty 404
	})
}

// Routes implements plugins.Plugin from the handler's own table.
func (a *api) Routes() (rest, ws []string) { return (&server{a: a}).routes().Routes() }

// routes is the route table both Handler and Routes are built from. /info
// takes any method and answers all but POST itself.
func (s *server) routes() kit.Table {
	return kit.Table{
		{Pattern: "/info", Probes: []string{"POST /info"}, Handler: s.info},
		{Pattern: "/ws", WS: true, Handler: s.ws},
	}
}

func (s *server) now() int64 { return s.env.Clock.NowMillis() }

// deserializeError answers like Hyperliquid's server for a body that does
// not fit the request type.
func deserializeError(w http.ResponseWriter, body []byte, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnprocessableEntity)
	fmt.Fprintf(w, "Failed to deserialize the JSON body into the target type: %s at line 1 column %d", msg, len(body))
}

var infoTypes = []string{"meta", "metaAndAssetCtxs", "spotMeta", "spotMetaAndAssetCtxs", "perpDexs", "allMids", "exchangeStatus", "candleSnapshot", "recentTrades", "fundingHistory", "l2Book"}

type snapshotReq struct {
	Type string `json:"type"`
	Req  *struct {
		Coin      string `json:"coin"`
		Interval  string `json:"interval"`
		StartTime int64  `json:"startTime"`
		EndTime   int64  `json:"endTime"`
	} `json:"req"`
}

func (s *server) info(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := readAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		io.WriteString(w, "Expected request with `Content-Type: application/json`")
		return
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "Failed to parse the request body as JSON: %v", err)
		return
	}
	var typ string
	if raw, ok := top["type"]; !ok {
		deserializeError(w, body, "missing field `type`")
		return
	} else if json.Unmarshal(raw, &typ) != nil {
		deserializeError(w, body, "type: invalid type: expected a string")
		return
	}
	switch typ {
	case "candleSnapshot":
		s.candleSnapshot(w, r, body, top)
	case "recentTrades":
		s.recentTrades(w, r, body, top)
	case "l2Book":
		s.l2BookInfo(w, r, body, top)
	case "fundingHistory":
		s.fundingHistory(w, r, body, top)
	case "meta":
		kit.JSON(w, http.StatusOK, s.meta())
	case "metaAndAssetCtxs":
		ctxs, err := s.perpCtxs(r)
		if err != nil {
			s.failed(w, err)
			return
		}
		kit.JSON(w, http.StatusOK, []any{s.meta(), ctxs})
	case "spotMeta":
		kit.JSON(w, http.StatusOK, s.spotMeta())
	case "spotMetaAndAssetCtxs":
		ctxs, err := s.spotCtxs(r)
		if err != nil {
			s.failed(w, err)
			return
		}
		kit.JSON(w, http.StatusOK, []any{s.spotMeta(), ctxs})
	case "perpDexs":
		kit.Raw(w, http.StatusOK, []byte("[null]"))
	case "allMids":
		mids, err := s.allMids(r)
		if err != nil {
			s.failed(w, err)
			return
		}
		kit.JSON(w, http.StatusOK, mids)
	case "exchangeStatus":
		kit.JSON(w, http.StatusOK, map[string]any{"specialStatuses": nil, "time": s.now()})
	default:
		quoted := make([]string, len(infoTypes))
		for i, t := range infoTypes {
			quoted[i] = "`" + t + "`"
		}
		deserializeError(w, body, fmt.Sprintf("unknown variant `%s`, expected one of %s", typ, strings.Join(quoted, ", ")))
	}
}

func (s *server) failed(w http.ResponseWriter, err error) {
	if s.env.Logger != nil {
		s.env.Logger.Error("hyperliquid: market", "err", err)
	}
	resp := s.a.ServerError()
	kit.Raw(w, resp.Status, resp.Body)
}

// pairByCoin resolves a perpetual or spot coin name to its pair: the
// pair spelled coin first, so that a handler over both markets (a shared
// socket, see Owner) tells BTC the perpetual from @142 the spot pair.
func (s *server) pairByCoin(coin string) (cc.Pair, bool) {
	if p, ok := s.env.PairBySymbol(coin); ok {
		return p, true
	}
	for _, p := range s.env.Pairs {
		if p.Base == coin || spotCoin(p) == coin {
			return p, true
		}
	}
	return cc.Pair{}, false
}

func (s *server) candleSnapshot(w http.ResponseWriter, r *http.Request, body []byte, top map[string]json.RawMessage) {
	raw, ok := top["req"]
	if !ok {
		deserializeError(w, body, "missing field `req`")
		return
	}
	var req map[string]json.RawMessage
	if json.Unmarshal(raw, &req) != nil {
		deserializeError(w, body, "req: invalid type: expected struct CandleSnapshotReq")
		return
	}
	str := func(name string) (string, bool) {
		v, ok := req[name]
		if !ok {
			deserializeError(w, body, "req: missing field `"+name+"`")
			return "", false
		}
		var x string
		if json.Unmarshal(v, &x) != nil {
			deserializeError(w, body, fmt.Sprintf("req.%s: invalid type: %s, expected a string", name, v))
			return "", false
		}
		return x, true
	}
	u64 := func(name string, required bool) (int64, bool, bool) {
		v, ok := req[name]
		if !ok || string(v) == "null" {
			if required {
				deserializeError(w, body, "req: missing field `"+name+"`")
				return 0, false, false
			}
			return 0, false, true
		}
		n, err := strconv.ParseUint(string(v), 10, 63)
		if err != nil {
			deserializeError(w, body, fmt.Sprintf("req.%s: invalid type: %s, expected u64", name, v))
			return 0, false, false
		}
		return int64(n), true, true
	}
	coin, ok := str("coin")
	if !ok {
		return
	}
	ivName, ok := str("interval")
	if !ok {
		return
	}
	iv, known := intervals.Parse(ivName)
	if !known {
		deserializeError(w, body, fmt.Sprintf("req.interval: unknown variant `%s`, expected one of %s", ivName, intervalList))
		return
	}
	start, _, ok := u64("startTime", true)
	if !ok {
		return
	}
	now := s.now()
	end, hasEnd, ok := u64("endTime", false)
	if !ok {
		return
	}
	if !hasEnd {
		end = now
	}
	pair, found := s.pairByCoin(coin)
	if !found {
		// Hyperliquid fails a query about an unknown asset with a 500 and
		// a JSON null.
		kit.Raw(w, http.StatusInternalServerError, []byte("null"))
		return
	}
	// Only the most recent 5000 candles are available.
	if earliest := iv.Add(iv.Truncate(now), 1-maxCandles); start < earliest {
		start = earliest
	}
	cs, err := kit.Span(r.Context(), s.env.Market, pair.Symbol, iv, start, end, now, maxCandles, true)
	if err != nil {
		if errors.Is(err, cc.ErrUnknownSymbol) {
			kit.Raw(w, http.StatusInternalServerError, []byte("null"))
			return
		}
		s.failed(w, err)
		return
	}
	b := make([]byte, 0, 16+len(cs)*170)
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCandle(b, coin, ivName, iv, c)
	}
	b = append(b, ']')
	kit.Raw(w, http.StatusOK, b)
}

// appendDec writes d as a JSON string with at least one fractional digit
// ("60547.0"), as Hyperliquid prints numbers.
func appendDec(b []byte, d cc.Decimal) []byte {
	b = append(b, '"')
	start := len(b)
	b = d.AppendTrim(b, int(d.Scale))
	if !strings.Contains(string(b[start:]), ".") {
		b = append(b, '.', '0')
	}
	return append(b, '"')
}

func appendCandle(b []byte, coin, ivName string, iv cc.Interval, c cc.Candle) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, c.OpenTime, 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, iv.CloseTime(c.OpenTime), 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendQuote(b, coin)
	b = append(b, `,"i":"`...)
	b = append(b, ivName...)
	b = append(b, `","o":`...)
	b = appendDec(b, c.Open)
	b = append(b, `,"c":`...)
	b = appendDec(b, c.Close)
	b = append(b, `,"h":`...)
	b = appendDec(b, c.High)
	b = append(b, `,"l":`...)
	b = appendDec(b, c.Low)
	b = append(b, `,"v":`...)
	b = appendDec(b, c.Volume)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, c.Trades, 10)
	return append(b, '}')
}
