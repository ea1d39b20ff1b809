package kit

import cc "github.com/candlecassette/candlecassette"

// AppendQuotedLevels writes levels as [["price","size"],...], each number
// at its own scale with trailing zeros trimmed (Decimal.AppendTrim), as
// Gate, KuCoin, MEXC and AscendEX print their books.
func AppendQuotedLevels(b []byte, ls []cc.BookLevel) []byte {
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `["`...)
		b = l.Price.AppendTrim(b, int(l.Price.Scale))
		b = append(b, `","`...)
		b = l.Size.AppendTrim(b, int(l.Size.Scale))
		b = append(b, `"]`...)
	}
	return append(b, ']')
}
