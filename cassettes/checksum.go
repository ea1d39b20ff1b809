package cassettes

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// From format 3 on, every stored value is sealed: a CRC-32C (Castagnoli,
// hardware-accelerated in hash/crc32) of the value's key and payload is
// appended to it as 4 little-endian bytes, and every read checks it before
// the payload is decoded. bbolt checksums only its own meta pages, so
// without this a flipped bit in a candle block decodes to another valid
// price. The key is covered too, so a damaged key (a candle block filed
// under another time, a match key naming another request) fails when it
// is read rather than serving its value somewhere else. A match entry,
// whose payload is empty, is sealed all the same. One CRC per block or
// record read costs well under a microsecond next to its decoding.
//
// bbolt's branch keys and bucket names carry no value to seal. A damaged
// branch key can make a cursor seek land past the entries it looks for
// (seek checks for that), and a damaged bucket name hides a series: the
// sealed series list (keySeries) names every series and its candle count,
// which Series and Coverage hold the index to.

// sumLen is the size of a value's seal.
const sumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CorruptError locates damage found on read: the bucket and key of the
// value that failed its checksum or could not be decoded. It unwraps to
// ErrChecksum or ErrCorrupt.
type CorruptError struct {
	// Bucket is the bucket path, e.g. "interactions" or
	// "candles/BTCUSDT 1m".
	Bucket string
	// Key is the key in readable form: a sequence number, a candle
	// block's open time, a match key.
	Key string
	Err error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v (bucket %q, key %s)", e.Err, e.Bucket, e.Key)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// corruptAt wraps err (which wraps ErrCorrupt) with its location, unless
// it already has one.
func corruptAt(bucket string, key []byte, err error) error {
	if _, ok := err.(*CorruptError); ok {
		return err
	}
	return &CorruptError{Bucket: bucket, Key: keyString(bucket, key), Err: err}
}

// keyString spells a key the way its bucket means it.
func keyString(bucket string, k []byte) string {
	switch {
	case bucket == string(bucketInteractions) || bucket == string(bucketConns):
		if len(k) == 8 {
			return strconv.FormatUint(keyU64(k), 10)
		}
	case bucket == string(bucketFrames):
		if len(k) == 16 {
			return fmt.Sprintf("conn %d seq %d", keyU64(k), keyU64(k[8:]))
		}
	case len(bucket) > len(bucketCandles) && bucket[:len(bucketCandles)] == string(bucketCandles):
		if len(k) == 8 {
			return time.UnixMilli(keyTime(k)).UTC().Format(time.RFC3339)
		}
	}
	return strconv.QuoteToASCII(string(k))
}

func candleBucket(k SeriesKey) string { return string(bucketCandles) + "/" + k.String() }

// sum is the seal of (key, payload).
func sum(key, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, key), castagnoli, payload)
}

// seal appends the seal of (key, payload) to payload.
func seal(key, payload []byte) []byte {
	return binary.LittleEndian.AppendUint32(payload, sum(key, payload))
}

// sealing says how the values of one cassette are stored: sealed (format
// 3 on) or not (formats 1 and 2, read as they are).
type sealing bool

// put stores payload under key in b, sealed if s.
func (s sealing) put(b *bolt.Bucket, key, payload []byte) error {
	if s {
		payload = seal(key, payload)
	}
	return b.Put(key, payload)
}

// open checks v's seal and returns its payload. The payload shares v's
// memory, so its capacity runs to the end of v (decoders that read a few
// bytes ahead read the seal, never write it).
func (s sealing) open(bucket string, key, v []byte) ([]byte, error) {
	p, ok := s.check(key, v)
	if !ok {
		return nil, corruptAt(bucket, key, ErrChecksum)
	}
	return p, nil
}

// check is open for callers that name the bucket only on failure.
func (s sealing) check(key, v []byte) ([]byte, bool) {
	if !s {
		return v, true
	}
	n := len(v) - sumLen
	if n < 0 || binary.LittleEndian.Uint32(v[n:]) != sum(key, v[:n]) {
		return nil, false
	}
	return v[:n], true
}

// seek is cur.Seek(target) that proves no key ≥ target was skipped.
// bbolt picks the leaf from branch keys that no seal covers; a damaged one
// can send the seek past the entries sought, which then look absent. The
// key before the one found must sort before target.
func seek(cur *bolt.Cursor, bucket string, target []byte) (k, v []byte, err error) {
	k, v = cur.Seek(target)
	if bytes.Equal(k, target) {
		return k, v, nil // nothing sorts between target and itself
	}
	var pk []byte
	if k == nil {
		pk, _ = cur.Last()
	} else {
		pk, _ = cur.Prev()
	}
	if pk != nil && bytes.Compare(pk, target) >= 0 {
		return nil, nil, corruptAt(bucket, target, fmt.Errorf("%w: a seek passed key %q", ErrCorrupt, pk))
	}
	k, v = cur.Seek(target)
	return k, v, nil
}

// keySeries is the meta-bucket record listing every series of a sealed
// cassette and its candle count.
var keySeries = []byte("series")

// seriesList is the decoded keySeries record: candles per series bucket
// name.
type seriesList map[string]int64

func readSeriesList(tx store) (seriesList, error) {
	v := tx.Bucket(bucketMeta).Get(keySeries)
	if v == nil {
		return seriesList{}, nil
	}
	p, err := sealing(true).open(string(bucketMeta), keySeries, v)
	if err != nil {
		return nil, err
	}
	var l seriesList
	if err := json.Unmarshal(p, &l); err != nil {
		return nil, corruptAt(string(bucketMeta), keySeries, fmt.Errorf("%w: series list: %v", ErrCorrupt, err))
	}
	return l, nil
}

func putSeriesList(tx store, l seriesList) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return sealing(true).put(tx.Bucket(bucketMeta), keySeries, raw)
}

// openMeta splits the meta record into its JSON and whether it was
// sealed. A format-3 meta record is sealed; older ones are bare JSON (whose
// last 4 bytes match a seal of the rest by chance once in 2^32).
func openMeta(raw []byte) (js []byte, sealed bool, err error) {
	p, err := sealing(true).open(string(bucketMeta), keyMeta, raw)
	switch {
	case err == nil:
		return p, true, nil
	case json.Valid(raw):
		return raw, false, nil
	case !bytes.Contains(raw, []byte(magic)):
		return nil, false, fmt.Errorf("%w: unrecognised meta record", ErrNotCassette)
	}
	return nil, false, err
}
