package hyperliquid

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func maxLeverage(base string) int {
	switch base {
	case "BTC":
		return 40
	case "ETH":
		return 25
	}
	return 10
}

// perpPairs are the pairs listed as perpetuals: one per base.
func (s *server) perpPairs() []cc.Pair {
	seen := map[string]bool{}
	var out []cc.Pair
	for _, p := range s.env.Pairs {
		if !seen[p.Base] {
			seen[p.Base] = true
			out = append(out, p)
		}
	}
	return out
}

func (s *server) meta() map[string]any {
	universe := []any{}
	tables := []any{}
	seenTable := map[int]bool{}
	for _, p := range s.perpPairs() {
		lev := maxLeverage(p.Base)
		universe = append(universe, map[string]any{
			"szDecimals": kit.AmountDecimals, "name": p.Base, "maxLeverage": lev, "marginTableId": lev,
		})
		if !seenTable[lev] {
			seenTable[lev] = true
			tables = append(tables, []any{lev, map[string]any{
				"description": "", "marginTiers": []any{map[string]any{"lowerBound": "0.0", "maxLeverage": lev}},
			}})
		}
	}
	return map[string]any{"universe": universe, "marginTables": tables, "collateralToken": 0}
}

// hlNum formats d the way Hyperliquid prints numbers.
func hlNum(d cc.Decimal) string {
	s := kit.Trim(d)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (s *server) perpCtxs(r *http.Request) ([]any, error) {
	out := []any{}
	now := s.now()
	for _, p := range s.perpPairs() {
		c, err := s.perpCtx(r.Context(), p.Symbol, now)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// perpCtx is a perpetual's asset context at now.
func (s *server) perpCtx(ctx context.Context, coin string, now int64) (map[string]any, error) {
	st, t, err := s.dayStats(ctx, coin, now)
	if err != nil {
		return nil, err
	}
	ps, err := s.perp(ctx, coin, st.Last, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"funding": hlNum(ps.FundingRate), "openInterest": hlNum(ps.OpenInterest), "prevDayPx": hlNum(st.Open),
		"dayNtlVlm": hlNum(st.QuoteVolume), "premium": hlNum(ps.Premium), "oraclePx": hlNum(ps.Index),
		"markPx": hlNum(ps.Mark), "midPx": hlNum(mid(t)), "impactPxs": []string{hlNum(t.Bid), hlNum(t.Ask)},
		"dayBaseVlm": hlNum(st.Volume),
	}, nil
}

// spotCtx is a spot market's asset context at now: coin its name, sym
// the market's symbol.
func (s *server) spotCtx(ctx context.Context, coin, sym string, now int64) (map[string]any, error) {
	st, t, err := s.dayStats(ctx, sym, now)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"prevDayPx": hlNum(st.Open), "dayNtlVlm": hlNum(st.QuoteVolume), "markPx": hlNum(st.Last),
		"midPx": hlNum(mid(t)), "circulatingSupply": "21000000.0", "coin": coin,
		"totalSupply": "21000000.0", "dayBaseVlm": hlNum(st.Volume),
	}, nil
}

// spotMarket is one served spot pair with its tokens.
type spotMarket struct {
	pair        cc.Pair
	index       int
	base, quote int // token indexes
}

// spotLayout lists the tokens (USDC first, index = position) and the spot
// markets sorted by universe index.
func (s *server) spotLayout() (tokens []map[string]any, markets []spotMarket) {
	tokIndex := map[string]int{}
	addToken := func(name string, full *string, sz, wei int) int {
		if i, ok := tokIndex[name]; ok {
			return i
		}
		i := len(tokens)
		tokIndex[name] = i
		var fullName any
		if full != nil {
			fullName = *full
		}
		tokens = append(tokens, map[string]any{
			"name": name, "szDecimals": sz, "weiDecimals": wei, "index": i,
			"tokenId": tokenID(name), "isCanonical": i < 2, "evmContract": nil,
			"fullName": fullName, "deployerTradingFeeShare": "0.0",
		})
		return i
	}
	addToken("USDC", nil, 8, 8)
	seen := map[int]bool{}
	for _, p := range s.env.Pairs {
		idx := spotIndex(p)
		if seen[idx] {
			continue
		}
		seen[idx] = true
		name, full := spotBase(p)
		b := addToken(name, full, kit.AmountDecimals, 8)
		q := addToken(spotQuote(p.Quote), nil, 8, 8)
		markets = append(markets, spotMarket{pair: p, index: idx, base: b, quote: q})
	}
	sort.Slice(markets, func(i, j int) bool { return markets[i].index < markets[j].index })
	return tokens, markets
}

// tokenID is a stable 16-byte hex id per token name.
func tokenID(name string) string {
	var h uint64 = 1469598103934665603
	var g uint64 = 7809847782465536322
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
		g = (g ^ uint64(name[i])) * 1099511628211
	}
	return "0x" + strconv.FormatUint(h|1<<63, 16) + strconv.FormatUint(g|1<<63, 16)
}

func (s *server) spotMeta() map[string]any {
	tokens, markets := s.spotLayout()
	universe := []any{}
	for _, m := range markets {
		universe = append(universe, map[string]any{
			"tokens": []int{m.base, m.quote}, "name": spotCoin(m.pair), "index": m.index,
			"isCanonical": m.index == 0,
		})
	}
	return map[string]any{"universe": universe, "tokens": tokens}
}

// spotCtxs are the spot asset contexts indexed by universe index.
func (s *server) spotCtxs(r *http.Request) ([]any, error) {
	_, markets := s.spotLayout()
	n := 0
	if len(markets) > 0 {
		n = markets[len(markets)-1].index + 1
	}
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{
			"prevDayPx": "0.0", "dayNtlVlm": "0.0", "markPx": "0.0", "midPx": nil,
			"circulatingSupply": "0.0", "coin": "@" + strconv.Itoa(i), "totalSupply": "0.0", "dayBaseVlm": "0.0",
		}
	}
	now := s.now()
	for _, m := range markets {
		c, err := s.spotCtx(r.Context(), spotCoin(m.pair), m.pair.Symbol, now)
		if err != nil {
			return nil, err
		}
		out[m.index] = c
	}
	return out, nil
}

// allMids maps each coin to the mid of its touch: the perpetual's base
// and the spot market's coin name alike.
func (s *server) allMids(r *http.Request) (map[string]string, error) {
	return s.mids(r.Context(), s.now())
}

// mids maps each coin to the mid of its touch at now: the perpetual's
// base and the spot market's coin name alike.
func (s *server) mids(ctx context.Context, now int64) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range s.env.Pairs {
		_, t, err := s.dayStats(ctx, p.Symbol, now)
		if err != nil {
			return nil, err
		}
		out[p.Base] = hlNum(mid(t))
		out[spotCoin(p)] = hlNum(mid(t))
	}
	return out, nil
}
