package kraken

import (
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// altOf maps common asset codes to Kraken's (BTC is XBT, DOGE is XDG).
var altOf = map[string]string{"BTC": "XBT", "DOGE": "XDG"}

// commonOf is the reverse of altOf: the codes WS v2 and clients use.
var commonOf = map[string]string{"XBT": "BTC", "XDG": "DOGE"}

// legacy lists assets whose Kraken id carries an X or Z prefix.
var legacy = map[string]string{
	"XBT": "XXBT", "ETH": "XETH", "XRP": "XXRP", "LTC": "XLTC", "XLM": "XXLM",
	"XMR": "XXMR", "ZEC": "XZEC", "ETC": "XETC", "XDG": "XXDG", "MLN": "XMLN",
	"REP": "XREP",
	"USD": "ZUSD", "EUR": "ZEUR", "GBP": "ZGBP", "JPY": "ZJPY", "CAD": "ZCAD", "AUD": "ZAUD",
}

// altFromID is the reverse of legacy.
var altFromID = func() map[string]string {
	m := map[string]string{}
	for k, v := range legacy {
		m[v] = k
	}
	return m
}()

// alt spells a common code Kraken's way (BTC → XBT).
func alt(code string) string {
	if a, ok := altOf[code]; ok {
		return a
	}
	return code
}

// common spells a Kraken code the common way (XBT → BTC).
func common(code string) string {
	if c, ok := commonOf[code]; ok {
		return c
	}
	return code
}

// assetID is the Assets key of an altname (XBT → XXBT, SOL → SOL).
func assetID(altname string) string {
	if id, ok := legacy[altname]; ok {
		return id
	}
	return altname
}

// pairNames are the spellings of one pair.
type pairNames struct {
	key     string // AssetPairs key: XXBTZUSD, XBTUSDT
	altname string // XBTUSD
	wsname  string // XBT/USD (native symbol)
	v2      string // BTC/USD (WS v2)
	base    string // asset id: XXBT
	quote   string // asset id: ZUSD
}

func namesOf(p cc.Pair) pairNames {
	b, q := alt(p.Base), alt(p.Quote)
	n := pairNames{
		altname: b + q,
		wsname:  b + "/" + q,
		v2:      common(b) + "/" + common(q),
		base:    assetID(b),
		quote:   assetID(q),
	}
	_, lb := legacy[b]
	_, lq := legacy[q]
	if lb && lq {
		n.key = n.base + n.quote
	} else {
		n.key = n.altname
	}
	return n
}

// namesOfSymbol rebuilds a pair's spellings from its native wsname.
func namesOfSymbol(wsname string) pairNames {
	b, q, _ := strings.Cut(wsname, "/")
	return namesOf(cc.Pair{Base: common(b), Quote: common(q)})
}

// symbolOfKey turns an AssetPairs key or altname back into the native
// wsname; ok is false when no split of it names two assets.
func symbolOfKey(key string) (string, bool) {
	if b, q, ok := strings.Cut(key, "/"); ok {
		return alt(b) + "/" + alt(q), true
	}
	// Legacy 4+4 keys first (XXBTZUSD), then altname-style splits with a
	// known quote.
	if len(key) == 8 {
		b, q := altFromID[key[:4]], altFromID[key[4:]]
		if b != "" && q != "" {
			return b + "/" + q, true
		}
	}
	for _, q := range []string{"USDT", "USDC", "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "XBT", "ETH", "DAI", "ZUSD", "ZEUR"} {
		if strings.HasSuffix(key, q) && len(key) > len(q) {
			b := key[:len(key)-len(q)]
			if a, ok := altFromID[b]; ok {
				b = a
			}
			if a, ok := altFromID[q]; ok {
				q = a
			}
			return b + "/" + q, true
		}
	}
	return "", false
}
