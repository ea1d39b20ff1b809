package cassettes

import (
	"strings"

	cc "github.com/candlecassette/candlecassette"
)

// StreamLabel is the label stored with frames that carry klines of
// (symbol, iv) (Frame.Stream, the keys of Conn.Streams): "BTCUSDT 1m".
// Cassettes in the field hold it, so its spelling never changes; the
// recorder writes it and replay looks streams up by it.
func StreamLabel(symbol string, iv cc.Interval) string { return symbol + " " + string(iv) }

// ParseStreamLabel splits a label made by StreamLabel. ok is false for
// anything else: no space, an empty symbol or an interval that is not
// canonical.
func ParseStreamLabel(label string) (symbol string, iv cc.Interval, ok bool) {
	i := strings.LastIndexByte(label, ' ')
	if i <= 0 {
		return "", "", false
	}
	symbol, iv = label[:i], cc.Interval(label[i+1:])
	if !iv.Valid() {
		return "", "", false
	}
	return symbol, iv, true
}
