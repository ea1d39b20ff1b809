package kit

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
)

// PriceDecimals is the number of price decimals a pair trading near price
// gets: about six significant digits, between 2 and 8. It matches what the
// synthetic market quotes, so metadata and candles agree.
func PriceDecimals(price float64) int {
	if price <= 0 {
		price = 100
	}
	d := 2 - int(math.Floor(math.Log10(price)))
	return max(2, min(8, d+4))
}

// AmountDecimals is the quantity precision advertised for every pair; the
// synthetic market quotes volumes with 5 decimals.
const AmountDecimals = 5

// Stats are a pair's rolling 24-hour figures.
type Stats struct {
	Open, High, Low, Last cc.Decimal
	Volume, QuoteVolume   cc.Decimal
	Trades                int64
	OpenTime, CloseTime   int64
}

// Stats24h aggregates the hourly candles of the last 24 hours up to now.
func Stats24h(ctx context.Context, m cc.Market, sym string, now int64) (Stats, error) {
	iv := cc.Interval1h
	end := iv.Truncate(now)
	cs, err := m.Candles(ctx, sym, iv, end-23*iv.Millis(), iv.Next(end), now)
	if err != nil {
		return Stats{}, err
	}
	if len(cs) == 0 {
		return Stats{}, cc.ErrUnknownSymbol
	}
	a := cc.Aggregate(cs)
	return Stats{
		Open: a.Open, High: a.High, Low: a.Low, Last: a.Close,
		Volume: a.Volume, QuoteVolume: a.QuoteVolume, Trades: a.Trades,
		OpenTime: a.OpenTime, CloseTime: now,
	}, nil
}

// Pow10 returns 10^-n as a plain decimal string ("0.01" for 2, "1" for 0,
// "100" for -2).
func Pow10(n int) string {
	switch {
	case n == 0:
		return "1"
	case n > 0:
		return cc.NewDecimal(1, n).String()
	default:
		return cc.NewDecimal(int64(math.Pow10(-n)), 0).String()
	}
}

// JSON writes v with the given status as application/json.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	Raw(w, status, b)
}

// Raw writes an already-encoded JSON body with the given status.
func Raw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

var assetNames = map[string]string{
	"BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana", "BNB": "BNB", "XRP": "XRP",
	"USDT": "Tether", "USDC": "USD Coin", "USD": "US Dollar", "DOGE": "Dogecoin",
	"ADA": "Cardano", "LTC": "Litecoin", "TRX": "TRON", "AVAX": "Avalanche",
}

// AssetName is a readable name for an asset code (the code itself when
// unknown).
func AssetName(code string) string {
	if n, ok := assetNames[code]; ok {
		return n
	}
	return code
}

// Assets lists the distinct base and quote assets of pairs, bases first,
// in order of appearance.
func Assets(pairs []cc.Pair) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pairs {
		if !seen[p.Base] {
			seen[p.Base] = true
			out = append(out, p.Base)
		}
	}
	for _, p := range pairs {
		if !seen[p.Quote] {
			seen[p.Quote] = true
			out = append(out, p.Quote)
		}
	}
	return out
}

// Trim formats d without trailing fractional zeros ("42000.1", "3").
func Trim(d cc.Decimal) string { return string(d.AppendTrim(nil, int(d.Scale))) }

// Tick is one price step at the given decimals.
func Tick(decimals int) cc.Decimal { return cc.NewDecimal(1, decimals) }

// ContractSize is the size of one contract of a perpetual trading near
// price: a power of ten worth roughly 1 to 10 quote units (0.0001 BTC at
// 50000), the way exchanges size linear contracts.
func ContractSize(price float64) cc.Decimal {
	if price <= 0 {
		price = 100
	}
	e := int(math.Floor(math.Log10(10 / price)))
	if e >= 0 {
		return cc.NewDecimal(int64(math.Pow10(e)), 0)
	}
	return cc.NewDecimal(1, -e)
}

// Contracts counts a base volume in whole contracts of size size,
// rounding half away from zero exactly when size is a power of ten (as
// ContractSize gives), so that contracts × size equals the volume rounded
// to size's decimals.
func Contracts(vol, size cc.Decimal) int64 {
	switch {
	case size.Units == 0:
		return 0
	case size.Units == 1 && size.Scale >= 0:
		return vol.Rescale(int(size.Scale)).Units
	case size.Scale == 0 && size.Units > 0:
		e, u := 0, size.Units
		for u%10 == 0 {
			u /= 10
			e++
		}
		if u == 1 && int(vol.Scale)+e <= 18 {
			return cc.Decimal{Units: vol.Units, Scale: vol.Scale + int8(e)}.Rescale(0).Units
		}
	}
	return int64(math.Round(vol.Float64() / size.Float64()))
}

// LenientDecimal parses s exactly when it fits a Decimal and otherwise
// (more digits than 64 bits hold, as some exchanges print) rounds it to 10
// fractional digits or fewer.
func LenientDecimal(s string) (cc.Decimal, error) {
	d, err := cc.ParseDecimal(s)
	if err == nil {
		return d, nil
	}
	f, ferr := strconv.ParseFloat(s, 64)
	if ferr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return cc.Decimal{}, err
	}
	places := 10
	for places > 0 && math.Abs(f)*math.Pow10(places) > 9e17 {
		places--
	}
	return cc.DecimalFromFloat(f, places).Rescale(places), nil
}

// Scales reads the price and quantity precision of sym from its last ten
// 1m candles up to now, so that instrument filters (tick and lot sizes)
// match the numbers the server prints, synthetic or recorded alike. With
// no candles it guesses 2 and 6.
func Scales(ctx context.Context, m cc.Market, sym string, now int64) (price, qty int) {
	last := cc.Interval1m.Truncate(now)
	cs, err := m.Candles(ctx, sym, cc.Interval1m, last-9*60_000, last+60_000, now)
	if err != nil || len(cs) == 0 {
		return 2, 6
	}
	for _, c := range cs {
		price = max(price, int(c.Open.Scale), int(c.High.Scale), int(c.Low.Scale), int(c.Close.Scale))
		qty = max(qty, int(c.Volume.Scale))
	}
	return price, qty
}
