package wiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Shape describes data's JSON structure: object keys in their order,
// scalar kinds (string, number, bool, null), arrays element by element
// except that an array's objects and arrays are described by the first
// one alone (a list of candles has one shape however long it is, while a
// candle row keeps every column). Two payloads that a client parses the same way have
// the same shape.
func Shape(data []byte) (string, error) { return shapeOf(data, false) }

// UnorderedShape is Shape with each object's keys sorted, for payloads
// whose key order carries no meaning for clients.
func UnorderedShape(data []byte) (string, error) { return shapeOf(data, true) }

func shapeOf(data []byte, sorted bool) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var sb strings.Builder
	if err := shape(dec, &sb, sorted); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", fmt.Errorf("wiretest: trailing data after JSON value")
	}
	return sb.String(), nil
}

func shape(dec *json.Decoder, sb *strings.Builder, sorted bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var fields []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				var f strings.Builder
				fmt.Fprintf(&f, "%s:", k)
				if err := shape(dec, &f, sorted); err != nil {
					return err
				}
				fields = append(fields, f.String())
			}
			if sorted {
				slices.Sort(fields)
			}
			sb.WriteByte('{')
			sb.WriteString(strings.Join(fields, ","))
			sb.WriteByte('}')
		case '[':
			sb.WriteByte('[')
			var prev string
			n := 0
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return err
				}
				var el strings.Builder
				sub := json.NewDecoder(bytes.NewReader(raw))
				sub.UseNumber()
				if err := shape(sub, &el, sorted); err != nil {
					return err
				}
				s := el.String()
				composite := s[0] == '{' || s[0] == '['
				if n > 0 && composite && prev != "" && (prev[0] == '{' || prev[0] == '[') {
					continue
				}
				if n > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(s)
				prev = s
				n++
			}
			sb.WriteByte(']')
		}
		_, err := dec.Token() // closing delimiter
		return err
	case string:
		sb.WriteString("string")
	case json.Number, float64:
		sb.WriteString("number")
	case bool:
		sb.WriteString("bool")
	case nil:
		sb.WriteString("null")
	}
	return nil
}

// SameShape reports an error naming both shapes when got's shape differs
// from the golden file's.
func SameShape(goldenPath string, got []byte) error { return same(goldenPath, got, false) }

// SameFields is SameShape ignoring the order of object keys.
func SameFields(goldenPath string, got []byte) error { return same(goldenPath, got, true) }

func same(goldenPath string, got []byte, sorted bool) error {
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		return err
	}
	ws, err := shapeOf(want, sorted)
	if err != nil {
		return fmt.Errorf("wiretest: golden %s: %w", goldenPath, err)
	}
	gs, err := shapeOf(got, sorted)
	if err != nil {
		return fmt.Errorf("wiretest: payload: %w (%s)", err, got)
	}
	if ws != gs {
		return fmt.Errorf("wiretest: shape differs from %s\n got: %s\nwant: %s", goldenPath, gs, ws)
	}
	return nil
}
