package cassettes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Interaction is one recorded REST exchange.
//
// Body is the decoded (identity) response body even when the upstream sent
// it compressed; ResponseHeader is kept as sent, so a Content-Encoding
// header there says how the original travelled, not how Body is stored.
type Interaction struct {
	Seq            uint64 // assigned when written, in recording order
	Method         string
	Path           string
	Query          string // raw query string, secrets redacted
	MatchKey       string // see MatchKey
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	Body           []byte
	Start          time.Time // when the request reached the proxy
	Duration       time.Duration
}

func (ix *Interaction) rawSize() int {
	return len(ix.Method) + len(ix.Path) + len(ix.Query) + 12 + headerSize(ix.RequestHeader) +
		len(ix.RequestBody) + 16 + headerSize(ix.ResponseHeader) + len(ix.Body)
}

// encodeInteraction stores ix; with a template t, its body is stored as
// the template (see template.go).
func encodeInteraction(ix *Interaction, t *template) []byte {
	b := make([]byte, 0, 256+len(ix.Body)+len(ix.RequestBody))
	b = appendString(b, ix.Method)
	b = appendString(b, ix.Path)
	b = appendString(b, ix.Query)
	b = appendString(b, ix.MatchKey)
	b = appendHeader(b, ix.RequestHeader)
	b = appendBytes(b, ix.RequestBody)
	b = appendUvarint(b, uint64(ix.Status))
	b = appendHeader(b, ix.ResponseHeader)
	kind := byte(kindInteraction)
	if t != nil {
		kind = kindTemplate
		b = appendTemplate(b, t)
	} else {
		b = appendBytes(b, ix.Body)
	}
	b = appendVarint(b, ix.Start.UnixNano())
	b = appendVarint(b, int64(ix.Duration))
	return recordEncoder.EncodeAll(b, []byte{kind})
}

// readInteraction opens and decodes interaction seq stored as v.
func readInteraction(tx store, sealed sealing, seq uint64, v []byte) (*Interaction, error) {
	key := u64(seq)
	p, err := sealed.open(string(bucketInteractions), key, v)
	if err != nil {
		return nil, err
	}
	ix, err := decodeInteraction(tx, sealed, seq, p)
	if err != nil {
		return nil, corruptAt(string(bucketInteractions), key, err)
	}
	return ix, nil
}

func decodeInteraction(tx store, sealed sealing, seq uint64, v []byte) (*Interaction, error) {
	if len(v) == 0 || (v[0] != kindInteraction && v[0] != kindTemplate) {
		return nil, fmt.Errorf("%w: interaction %d of unknown kind", ErrCorrupt, seq)
	}
	raw, err := decompress(v[1:])
	if err != nil {
		return nil, err
	}
	r := &reader{b: raw}
	ix := &Interaction{Seq: seq}
	ix.Method = r.string()
	ix.Path = r.string()
	ix.Query = r.string()
	ix.MatchKey = r.string()
	ix.RequestHeader = r.header()
	ix.RequestBody = r.bytes()
	ix.Status = int(r.uvarint())
	ix.ResponseHeader = r.header()
	var t *template
	if v[0] == kindTemplate {
		t = readTemplate(r)
	} else {
		ix.Body = r.bytes()
	}
	ix.Start = time.Unix(0, r.varint()).UTC()
	ix.Duration = time.Duration(r.varint())
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("interaction %d: %w", seq, err)
	}
	if t != nil {
		if ix.Body, err = t.resolve(tx, sealed); err != nil {
			return nil, fmt.Errorf("interaction %d: %w", seq, err)
		}
	}
	return ix, nil
}

// DefaultVolatileParams are left out of every match key: they change on
// every call (timestamps, nonces) or are secrets that are redacted anyway.
var DefaultVolatileParams = []string{
	"timestamp", "recvWindow", "signature", "sign", "nonce", "ts", "_",
	"apiKey", "api_key", "listenKey", "passphrase", "t",
}

func volatileSet(extra []string) map[string]bool {
	m := map[string]bool{}
	for _, p := range DefaultVolatileParams {
		m[strings.ToLower(p)] = true
	}
	for _, p := range DefaultSecretParams {
		m[strings.ToLower(p)] = true
	}
	for _, p := range extra {
		m[strings.ToLower(p)] = true
	}
	return m
}

// MatchKey is the key under which a request is matched on replay: method,
// path, the query with volatile params removed and the rest sorted, and
// for a request with a body a digest of the body normalized the same way
// (form bodies like queries; JSON bodies with keys sorted and volatile keys
// dropped at any depth).
func (c *Cassette) MatchKey(method, path, rawQuery string, body []byte) string {
	return matchKey(c.volatile, method, path, rawQuery, body)
}

func matchKey(volatile map[string]bool, method, path, rawQuery string, body []byte) string {
	var sb strings.Builder
	sb.WriteString(strings.ToUpper(method))
	sb.WriteByte(' ')
	sb.WriteString(path)
	if q := normalizeQuery(volatile, rawQuery); q != "" {
		sb.WriteByte('?')
		sb.WriteString(q)
	}
	if nb := normalizeBody(volatile, body); len(nb) > 0 {
		sum := sha256.Sum256(nb)
		sb.WriteString(" #")
		sb.WriteString(hex.EncodeToString(sum[:12]))
	}
	return sb.String()
}

func normalizeQuery(volatile map[string]bool, raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		// Keep what cannot be parsed verbatim: it still has to match.
		return raw
	}
	for k := range vals {
		if volatile[strings.ToLower(k)] {
			delete(vals, k)
		} else {
			sort.Strings(vals[k])
		}
	}
	return vals.Encode() // sorted by key
}

func normalizeBody(volatile map[string]bool, body []byte) []byte {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '{' || body[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			out, err := json.Marshal(dropKeys(v, volatile))
			if err == nil {
				return out
			}
		}
		return body
	}
	if q := normalizeQuery(volatile, string(body)); q != "" {
		return []byte(q)
	}
	return body
}

func dropKeys(v any, drop map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if drop[strings.ToLower(k)] {
				delete(x, k)
			} else {
				x[k] = dropKeys(e, drop)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = dropKeys(e, drop)
		}
	}
	return v
}

var errNoInteraction = errors.New("cassettes: no interaction")

// Interaction returns the interaction with sequence number seq.
func (c *Cassette) Interaction(seq uint64) (*Interaction, error) {
	var ix *Interaction
	err := c.view(func(tx *bolt.Tx) error {
		v := c.root(tx).Bucket(bucketInteractions).Get(u64(seq))
		if v == nil {
			return fmt.Errorf("%w %d", errNoInteraction, seq)
		}
		var err error
		ix, err = readInteraction(c.root(tx), c.sealed, seq, v)
		return err
	})
	return ix, err
}

// Interactions calls fn with every interaction in recording order until fn
// returns an error, which is returned.
func (c *Cassette) Interactions(fn func(*Interaction) error) error {
	return c.view(func(tx *bolt.Tx) error {
		return c.root(tx).Bucket(bucketInteractions).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return corruptAt(string(bucketInteractions), k, fmt.Errorf("%w: interaction key", ErrCorrupt))
			}
			ix, err := readInteraction(c.root(tx), c.sealed, keyU64(k), v)
			if err != nil {
				return err
			}
			return fn(ix)
		})
	})
}

// Matches returns the sequence numbers of the interactions recorded under
// key (see MatchKey), in recording order.
func (c *Cassette) Matches(key string) ([]uint64, error) {
	var out []uint64
	prefix := append([]byte(key), 0)
	err := c.view(func(tx *bolt.Tx) error {
		cur := c.root(tx).Bucket(bucketMatch).Cursor()
		k, v, err := seek(cur, string(bucketMatch), prefix)
		if err != nil {
			return err
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			if _, err := c.sealed.open(string(bucketMatch), k, v); err != nil {
				return err
			}
			if len(k) != len(prefix)+8 {
				continue
			}
			out = append(out, keyU64(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}

// Lookup returns the interactions recorded for a request matching (method,
// path, rawQuery, body), in recording order; none is not an error.
func (c *Cassette) Lookup(method, path, rawQuery string, body []byte) ([]*Interaction, error) {
	seqs, err := c.Matches(c.MatchKey(method, path, rawQuery, body))
	if err != nil {
		return nil, err
	}
	out := make([]*Interaction, 0, len(seqs))
	for _, s := range seqs {
		ix, err := c.Interaction(s)
		if errors.Is(err, errNoInteraction) {
			// The match index names it: the record was lost to damage.
			err = corruptAt(string(bucketInteractions), u64(s), fmt.Errorf("%w: %v", ErrCorrupt, err))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, nil
}

// PathCounts counts interactions per "METHOD path".
func (c *Cassette) PathCounts() (map[string]int, error) {
	out := map[string]int{}
	err := c.view(func(tx *bolt.Tx) error {
		return c.root(tx).Bucket(bucketMatch).ForEach(func(k, v []byte) error {
			if _, err := c.sealed.open(string(bucketMatch), k, v); err != nil {
				return err
			}
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return nil
			}
			mk := string(k[:i])
			if j := strings.IndexAny(mk, "?#"); j >= 0 {
				mk = strings.TrimSpace(mk[:j])
			}
			out[mk]++
			return nil
		})
	})
	return out, err
}

func keyU64(k []byte) uint64 {
	var v uint64
	for _, c := range k[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}
