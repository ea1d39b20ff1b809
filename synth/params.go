package synth

import (
	"math"
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// profile is what the generator assumes about an asset when the caller
// gives nothing but its name. The figures are round numbers in the range
// of the large spot venues in 2023–2025.
type profile struct {
	usdPrice   float64 // price in USD, for default start prices and lot sizes
	dayVol     float64 // standard deviation of daily log returns
	dayUSD     float64 // notional traded per day, USD
	tradeUSD   float64 // mean notional of one trade, USD
	marketBeta float64 // loading on the shared crypto market factor, 0..1
}

var profiles = map[string]profile{
	"BTC":  {usdPrice: 50000, dayVol: 0.030, dayUSD: 1.5e9, tradeUSD: 800, marketBeta: 0.98},
	"ETH":  {usdPrice: 3000, dayVol: 0.036, dayUSD: 8e8, tradeUSD: 500, marketBeta: 0.96},
	"SOL":  {usdPrice: 150, dayVol: 0.050, dayUSD: 3e8, tradeUSD: 300, marketBeta: 0.70},
	"BNB":  {usdPrice: 600, dayVol: 0.030, dayUSD: 1e8, tradeUSD: 300, marketBeta: 0.65},
	"XRP":  {usdPrice: 0.6, dayVol: 0.045, dayUSD: 1.5e8, tradeUSD: 200, marketBeta: 0.60},
	"DOGE": {usdPrice: 0.15, dayVol: 0.055, dayUSD: 1e8, tradeUSD: 150, marketBeta: 0.60},
	"ADA":  {usdPrice: 0.5, dayVol: 0.050, dayUSD: 5e7, tradeUSD: 150, marketBeta: 0.60},
	"XBT":  {usdPrice: 50000, dayVol: 0.030, dayUSD: 1.5e9, tradeUSD: 800, marketBeta: 0.98},
}

// defaultProfile is used for assets not in profiles: a mid-cap altcoin.
var defaultProfile = profile{usdPrice: 100, dayVol: 0.05, dayUSD: 3e7, tradeUSD: 150, marketBeta: 0.55}

// usdLike lists quote assets treated as US dollars.
var usdLike = map[string]bool{
	"USD": true, "USDT": true, "USDC": true, "BUSD": true, "FDUSD": true,
	"TUSD": true, "DAI": true, "USDE": true, "PYUSD": true, "UST": true,
}

// stableProfile is a dollar stablecoin traded against a dollar.
var stableProfile = profile{usdPrice: 1, dayVol: 0.0004, dayUSD: 3e8, tradeUSD: 2000, marketBeta: 0}

// Hour-of-day (UTC) multipliers of trading activity: quiet Asian
// late-night hours, a European morning pick-up and the US session peak
// (13–17 UTC). A smooth, hand-set shape typical of the large USDT pairs;
// max/min is about 2.5.
var hourActivity = [24]float64{
	1.05, 0.95, 0.82, 0.76, 0.71, 0.68, 0.72, 0.82, 0.90, 0.97, 1.00, 1.05,
	1.18, 1.32, 1.55, 1.70, 1.58, 1.38, 1.27, 1.17, 1.15, 1.07, 0.98, 0.97,
}

// Day-of-week multipliers (Sunday first): weekends trade much less.
var weekdayActivity = [7]float64{0.62, 1.02, 1.08, 1.08, 1.06, 1.05, 0.58}

// Volatility follows activity: variance multiplier =
// activity^seasonVarExp, the variance in proportion to activity.
const seasonVarExp = 1.0

// symbol is everything the generator needs about one served pair.
type symbol struct {
	name     string // BASE-QUOTE
	native   string // exchange spelling
	price    float64
	tickDec  int
	lotDec   int
	quoteDec int // tickDec+lotDec: quote volumes are sums of lots×ticks
	tick     float64
	dayVol   float64
	dayLots  float64 // expected base volume per day, in lots
	tradeLot float64 // expected lots per trade
	beta     float64 // market factor loading
	key      uint64  // seed of this symbol's own draws
	exKey    uint64  // seed of this (exchange, symbol)'s basis draws
	// A venue can follow another's basis noise: with exRho != 0, exKey is
	// the other venue's and exOwn seeds the rest (see Derivatives).
	exRho float64
	exOwn uint64
	shift float64 // log(price in ticks) at RefTime minus the tree's value there
	unit  uint    // log2 of the ticks of the book's depth grid (bookUnit)
	lvl   [nLevels]levelMix
}

// levelMix is how the bridge innovations of one level mix the symbol's
// noise and the exchange's basis noise.
type levelMix struct {
	co, cx float64
}

func profileFor(p cc.Pair) profile {
	base, quote := strings.ToUpper(p.Base), strings.ToUpper(p.Quote)
	if usdLike[base] && usdLike[quote] {
		return stableProfile
	}
	pr, ok := profiles[base]
	if !ok {
		pr = defaultProfile
		if usdLike[base] {
			pr = stableProfile
		}
	}
	return pr
}

// newSymbol derives a pair's parameters. Start price: Pair.Price, or the
// profile's USD price converted to the quote asset.
func newSymbol(p cc.Pair, seed uint64, exchange string) *symbol {
	pr := profileFor(p)
	quote := strings.ToUpper(p.Quote)
	quoteUSD := 1.0
	if !usdLike[quote] {
		if q, ok := profiles[quote]; ok {
			quoteUSD = q.usdPrice
		} else {
			quoteUSD = 0
		}
	}
	price := p.Price
	if price <= 0 {
		price = 100
		if quoteUSD > 0 {
			price = pr.usdPrice / quoteUSD
		}
	}
	usdPrice := pr.usdPrice
	if quoteUSD > 0 {
		usdPrice = price * quoteUSD
	}
	s := &symbol{name: p.Name(), native: p.Symbol, price: price, dayVol: pr.dayVol, beta: pr.marketBeta}
	if s.native == "" {
		s.native = p.Name()
	}
	// About five to six significant digits of price, at least cents.
	s.tickDec = clampInt(3-int(math.Floor(math.Log10(price))), 2, 8)
	// A lot is worth between ten cents and a dollar.
	s.lotDec = clampInt(int(math.Floor(math.Log10(usdPrice)))+1, 0, 8)
	baseUnitsPerDay := pr.dayUSD / usdPrice
	// A month of quote volume in lot×tick units must fit an int64 with
	// plenty of room for the price to wander.
	for s.lotDec > 0 && baseUnitsPerDay*price*math.Pow10(s.tickDec+s.lotDec)*31*10 > math.MaxInt64 {
		s.lotDec--
	}
	s.quoteDec = s.tickDec + s.lotDec
	s.tick = math.Pow10(-s.tickDec)
	s.dayLots = baseUnitsPerDay * math.Pow10(s.lotDec)
	s.tradeLot = max(1, pr.tradeUSD/usdPrice*math.Pow10(s.lotDec))
	s.unit = s.bookUnit()
	s.key = mix64(seed ^ mix64(hashString(s.name)))
	s.exKey = mix64(s.key ^ mix64(hashString("exchange:"+exchange)+1))
	for L := range s.lvl {
		s.lvl[L] = mixFor(L, s.dayVol, s.beta)
	}
	return s
}

// basisStd is the standard deviation, per tree level, of the exchange's
// own log-price noise; summed over the levels it gives a basis between two
// venues of roughly 5–10 basis points.
const basisStd = 0.00015

// basisLevel is the finest level at which venues still agree exactly:
// their 6-hour candles are the same, the paths inside differ. A basis at
// coarser levels would let the venues drift apart without bound.
const basisLevel = 5

func mixFor(L int, dayVol, beta float64) levelMix {
	// Typical standard deviation of one node's return at this level.
	sd := dayVol * math.Sqrt(float64(levels[L].dur)/float64(dayMs))
	x := 0.0
	if sd > 0 && L > basisLevel {
		x = min(0.3, basisStd/sd)
	}
	return levelMix{co: math.Sqrt(1 - x*x), cx: x}
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
