package binance

import (
	"encoding/json"
	"strconv"
)

// object is a JSON object that keeps its keys in the order given, so
// answers list their fields in Binance's own order (maps would sort them).
type object []field

type field struct {
	k string
	v any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64*len(o))
	b = append(b, '{')
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.k)
		b = append(b, ':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}
