package ascendex

import (
	"net/http"
	"strings"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// listed is when the served markets opened (ms).
const listed = 1569506400000

func (s *server) products(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, p := range s.env.Pairs {
		out = append(out, map[string]any{
			"symbol": p.Symbol, "displayName": p.Symbol, "baseAsset": p.Base, "quoteAsset": p.Quote,
			"status": "Normal", "minNotional": "5", "maxNotional": "400000", "marginTradable": true,
			"commissionType": "Quote", "commissionReserveRate": "0.001",
			"tickSize": kit.Pow10(kit.PriceDecimals(p.Price)), "lotSize": kit.Pow10(kit.AmountDecimals),
		})
	}
	ok(w, out)
}

func (s *server) cashProducts(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, p := range s.env.Pairs {
		dec := kit.PriceDecimals(p.Price)
		out = append(out, map[string]any{
			"symbol": p.Symbol, "displayName": p.Symbol, "domain": "USDS", "tradingStartTime": listed,
			"collapseDecimals": "1,0.1,0.01", "minQty": kit.Pow10(kit.AmountDecimals), "maxQty": "1000000000",
			"minNotional": "5", "maxNotional": "400000", "statusCode": "Normal", "statusMessage": "",
			"tickSize": kit.Pow10(dec), "useTick": false, "lotSize": kit.Pow10(kit.AmountDecimals),
			"useLot": false, "commissionType": "Quote", "commissionReserveRate": "0.001",
			"qtyScale": kit.AmountDecimals, "priceScale": dec, "notionalScale": 4,
		})
	}
	ok(w, out)
}

func (s *server) assetsV1(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, a := range kit.Assets(s.env.Pairs) {
		out = append(out, map[string]any{
			"assetCode": a, "assetName": kit.AssetName(a), "precisionScale": 9, "nativeScale": 8,
			"withdrawalFee": "0.0005", "minWithdrawalAmt": "0.001", "status": "Normal",
		})
	}
	ok(w, out)
}

func (s *server) assetsV2(w http.ResponseWriter, r *http.Request) {
	out := []any{}
	for _, a := range kit.Assets(s.env.Pairs) {
		out = append(out, map[string]any{
			"assetCode": a, "assetName": kit.AssetName(a), "precisionScale": 9, "nativeScale": 8,
			"blockChain": []any{map[string]any{
				"chainName": a, "withdrawFee": "0.0005", "allowDeposit": true, "allowWithdraw": true,
				"minDepositAmt": "0.0", "minWithdrawal": "0.001", "numConfirmations": 12,
			}},
		})
	}
	ok(w, out)
}

func (s *server) ticker(w http.ResponseWriter, r *http.Request) {
	// symbol may list several symbols, comma separated; one symbol gets
	// one object, several (or none) a list.
	want := r.URL.Query().Get("symbol")
	var ps []cc.Pair
	if want == "" {
		ps = s.env.Pairs
	}
	for _, sym := range strings.Split(want, ",") {
		if sym == "" {
			continue
		}
		p, ok := s.env.PairBySymbol(strings.TrimSpace(sym))
		if !ok {
			apiError(w, 100008, "SYMBOL_ERROR", "Invalid symbol "+sym)
			return
		}
		ps = append(ps, p)
	}
	out := []any{}
	now := s.now()
	for _, p := range ps {
		t, err := s.tickerOf(r.Context(), p, now)
		if err != nil {
			s.failed(w, err)
			return
		}
		out = append(out, t)
	}
	if want != "" && !strings.Contains(want, ",") {
		ok(w, out[0])
		return
	}
	ok(w, out)
}
