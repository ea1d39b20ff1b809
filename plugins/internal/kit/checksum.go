package kit

import "bytes"

// CorruptChecksum returns the corrupt function of Session.SendBookDiff for
// a JSON frame whose checksum is the integer field named field (OKX's
// "checksum", Kraken's "checksum", ...): it returns a copy of the frame
// with that integer changed (the last digit moved by one, so sign, width
// and type — number or numeric string — stay as they were), or the frame
// itself when the field is missing.
func CorruptChecksum(field string) func([]byte) []byte {
	key := []byte(`"` + field + `":`)
	return func(frame []byte) []byte {
		i := bytes.Index(frame, key)
		if i < 0 {
			return frame
		}
		j := i + len(key)
		for j < len(frame) && (frame[j] == ' ' || frame[j] == '"' || frame[j] == '-') {
			j++
		}
		k := j
		for k < len(frame) && frame[k] >= '0' && frame[k] <= '9' {
			k++
		}
		if k == j {
			return frame
		}
		out := bytes.Clone(frame)
		d := out[k-1] - '0'
		out[k-1] = '0' + (d+1)%10
		return out
	}
}
