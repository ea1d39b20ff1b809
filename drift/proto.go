package drift

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// protoMsg is a protobuf message read without its schema (MEXC's WS
// frames): members "#N" by field number, varints as integers, printable
// bytes as strings (so a price sent as "50123.45" keeps its format),
// nested messages as objects, other bytes and fixed-width values by kind.
// A field seen twice becomes an array.
type protoMsg map[string]any

// parseProto reads b as a protobuf message; ok is false unless all of b
// is well-formed fields (a message of at least one).
func parseProto(b []byte, depth int) (protoMsg, bool) {
	if len(b) == 0 || depth > 8 {
		return nil, false
	}
	m := protoMsg{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num < 1 {
			return nil, false
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, false
			}
			v, b = json.Number(strconv.FormatUint(x, 10)), b[n:]
		case protowire.Fixed32Type:
			_, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return nil, false
			}
			v, b = rawKind("fixed32"), b[n:]
		case protowire.Fixed64Type:
			_, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return nil, false
			}
			v, b = rawKind("fixed64"), b[n:]
		case protowire.BytesType:
			x, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, false
			}
			b = b[n:]
			switch sub, ok := parseProto(x, depth+1); {
			case printable(x):
				v = string(x)
			case ok:
				v = sub
			default:
				v = rawKind(kindBytes)
			}
		default: // groups: long deprecated, not seen on the wire of any exchange here
			return nil, false
		}
		k := "#" + strconv.Itoa(int(num))
		switch prev := m[k].(type) {
		case nil:
			m[k] = v
		case []any:
			m[k] = append(prev, v)
		default:
			m[k] = []any{prev, v}
		}
	}
	return m, true
}

// printable: UTF-8 text without control characters but tab and newlines.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
