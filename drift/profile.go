package drift

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/candlecassette/candlecassette/cassettes"
)

// profile is the schema of one exchange's recording: every endpoint and
// every WS stream, each summed over all its samples.
type profile struct {
	endpoints map[string]*endpoint
	streams   map[string]*stream
}

// endpoint is one REST endpoint: method, path template and the names of
// its query params (a request with other params may answer another
// shape: a ticker of one symbol or of all).
type endpoint struct {
	n        int
	statuses map[int]int
	types    map[string]int // response media types
	ok       *Node          // 2xx bodies
	errs     *Node          // other bodies: the error shape
}

// stream is one WS connection path (template) and the kinds of message
// the server sent on it.
type stream struct {
	conns int
	kinds map[string]*message
}

// message is one kind of server message: its discriminating fields
// (e=kline, channel=candle1m, ...) and its schema.
type message struct {
	disc map[string]string // path ("$.e") to value
	node *Node
}

// names is what makes recorded values into templates: the symbols of the
// recording (so /products/BTC-USD and /products/ETH-USD are one endpoint).
type names struct {
	symbols []string // lower case, longest first
}

func newNames(symbols map[string]bool) *names {
	n := &names{}
	for s := range symbols {
		if len(s) >= 2 {
			n.symbols = append(n.symbols, strings.ToLower(s))
		}
	}
	slices.SortFunc(n.symbols, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	n.symbols = slices.Compact(n.symbols)
	return n
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// template replaces every symbol in s (any case, standing between
// non-alphanumerics) with {symbol}, and an all-digit s with {n}.
func (n *names) template(s string, extra []string) string {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return "{n}"
	}
	low := strings.ToLower(s)
	for _, list := range [][]string{extra, n.symbols} {
		for _, sym := range list {
			sym = strings.ToLower(sym)
			if sym == "" {
				continue
			}
			for i := 0; ; {
				j := strings.Index(low[i:], sym)
				if j < 0 {
					break
				}
				j += i
				end := j + len(sym)
				if (j == 0 || !isAlnum(low[j-1])) && (end == len(low) || !isAlnum(low[end])) {
					s = s[:j] + "{symbol}" + s[end:]
					low = low[:j] + "{symbol}" + low[end:]
					i = j + len("{symbol}")
				} else {
					i = j + 1
				}
				if i >= len(low) {
					break
				}
			}
		}
	}
	return s
}

// key normalizes an object member name: a symbol or a number used as a
// key (a map of markets, of timestamps) is one key.
func (n *names) key(k string) string {
	if t := n.template(k, nil); t == "{n}" || t == "{symbol}" {
		return t
	}
	return k
}

// symbolParams are the query (and JSON body) params that name a market.
var symbolParams = map[string]bool{
	"symbol": true, "symbols": true, "instid": true, "product_id": true, "coin": true, "pair": true,
	"currency_pair": true, "market": true, "instrument_name": true, "contract": true, "s": true,
}

// discKeys are the members that say what a WS message (or a request to a
// single URL, Hyperliquid's /info) is, in the order they are spelled in
// a message kind.
var discKeys = []string{"e", "event", "type", "op", "method", "action", "channel", "m", "subject", "topic", "stream"}

// profileOf reads every interaction and WS frame of c.
func profileOf(c *cassettes.Cassette, nm *names) (*profile, error) {
	p := &profile{endpoints: map[string]*endpoint{}, streams: map[string]*stream{}}
	err := c.Interactions(func(ix *cassettes.Interaction) error {
		name, local := endpointName(ix, nm)
		e := p.endpoints[name]
		if e == nil {
			e = &endpoint{statuses: map[int]int{}, types: map[string]int{}, ok: newNode(), errs: newNode()}
			p.endpoints[name] = e
		}
		e.n++
		e.statuses[ix.Status]++
		if ct := ix.ResponseHeader.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err == nil {
				ct = mt
			}
			e.types[strings.ToLower(ct)]++
		}
		body := decompressed(ix.Body)
		target := e.ok
		if ix.Status < 200 || ix.Status > 299 {
			target = e.errs
		}
		target.observe(parseBody(body, true), func(k string) string {
			if t := nm.template(k, local); t == "{symbol}" || t == "{n}" {
				return t
			}
			return k
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	conns, err := c.Conns()
	if err != nil {
		return nil, err
	}
	for _, conn := range conns {
		name := streamName(conn.URL, nm)
		s := p.streams[name]
		if s == nil {
			s = &stream{kinds: map[string]*message{}}
			p.streams[name] = s
		}
		s.conns++
		err := c.Frames(conn.ID, func(f cassettes.Frame) error {
			if f.Dir != cassettes.FromServer || (f.Opcode != 1 && f.Opcode != 2) {
				return nil
			}
			v := parseBody(decompressed(f.Payload), f.Opcode == 1)
			var local []string
			if sym, _, ok := cassettes.ParseStreamLabel(f.Stream); ok {
				local = append(local, sym)
			}
			local = append(local, bodySymbols(v)...)
			kind, disc := messageKind(v, nm, local)
			m := s.kinds[kind]
			if m == nil {
				m = &message{disc: disc, node: newNode()}
				s.kinds[kind] = m
			}
			m.node.observe(v, nm.key)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// endpointName is "METHOD /path/template?param&param", from the request's
// match key (volatile params already left out), and the symbols its
// params name.
func endpointName(ix *cassettes.Interaction, nm *names) (string, []string) {
	mk := ix.MatchKey
	if i := strings.Index(mk, " #"); i >= 0 {
		mk = mk[:i]
	}
	method, target, ok := strings.Cut(mk, " ")
	if !ok {
		method, target = ix.Method, ix.Path
		if ix.Query != "" {
			target += "?" + ix.Query
		}
	}
	path, rawQuery, _ := strings.Cut(target, "?")
	q, _ := url.ParseQuery(rawQuery)
	var local []string
	for k, vs := range q {
		if symbolParams[strings.ToLower(k)] {
			for _, v := range vs {
				local = append(local, strings.Split(v, ",")...)
			}
		}
	}
	var disc string
	if body := bytes.TrimSpace(ix.RequestBody); len(body) > 0 && body[0] == '{' {
		var obj map[string]any
		if json.Unmarshal(body, &obj) == nil {
			local = append(local, bodySymbols(obj)...)
			var parts []string
			for _, k := range discKeys {
				if s, ok := obj[k].(string); ok {
					parts = append(parts, k+"="+s)
				}
			}
			if len(parts) == 0 {
				parts = sortedKeys(obj)
			}
			disc = " {" + strings.Join(parts, ",") + "}"
		}
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = nm.template(s, local)
	}
	name := strings.ToUpper(method) + " " + strings.Join(segs, "/")
	if params := sortedKeys(q); len(params) > 0 {
		name += "?" + strings.Join(params, "&")
	}
	return name + disc, local
}

// bodySymbols are the symbols a JSON request body names, at any depth
// (Hyperliquid: {"type":"candleSnapshot","req":{"coin":"BTC",...}}), or
// a WS message ({"s":"BTCUSDT",...}).
func bodySymbols(v any) []string {
	var out []string
	if m, ok := v.(map[string]any); ok {
		for k, e := range m {
			if s, ok := e.(string); ok && symbolParams[strings.ToLower(k)] {
				out = append(out, s)
			} else {
				out = append(out, bodySymbols(e)...)
			}
		}
	}
	return out
}

// streamName is "WS /path/template?param", symbols in the path templated.
func streamName(raw string, nm *names) string {
	path, rawQuery, _ := strings.Cut(raw, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = nm.template(s, nil)
	}
	name := "WS " + strings.Join(segs, "/")
	if q, err := url.ParseQuery(rawQuery); err == nil && len(q) > 0 {
		name += "?" + strings.Join(sortedKeys(q), "&")
	}
	return name
}

// messageKind names a server message by its discriminating members
// (e=kline; channel=candle1m; a protobuf frame by its channel, field 1),
// symbols templated; a message without any by its key set.
func messageKind(v any, nm *names, local []string) (string, map[string]string) {
	disc := map[string]string{}
	var parts []string
	add := func(path, val string) {
		val = nm.template(val, local)
		disc[path] = val
		parts = append(parts, path[2:]+"="+val)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range discKeys {
			if s, ok := x[k].(string); ok {
				add("$."+k, s)
			}
		}
		if arg, ok := x["arg"].(map[string]any); ok {
			if s, ok := arg["channel"].(string); ok {
				add("$.arg.channel", s)
			}
		}
		if len(parts) == 0 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, nm.key(k))
			}
			slices.Sort(keys)
			return "{" + strings.Join(keys, ",") + "}", disc
		}
		return strings.Join(parts, " "), disc
	case protoMsg:
		if s, ok := x["#1"].(string); ok && !numericRe.MatchString(s) {
			add("$.#1", s)
			return "protobuf " + strings.Join(parts, " "), disc
		}
		return "protobuf", disc
	case []any:
		return "array", disc
	case rawKind:
		if x == kindText {
			return "text", disc
		}
		return string(x), disc
	case nil:
		return "null", disc
	}
	return fmt.Sprintf("%T", v), disc
}

var zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))

// decompressed undoes a gzip or zstd compression a stored body or frame
// still carries (a body the recorder could not decode is kept as sent;
// some exchanges compress WS frames); anything else is returned as is.
func decompressed(b []byte) []byte {
	switch {
	case len(b) > 3 && b[0] == 0x1f && b[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return b
		}
		out, err := io.ReadAll(io.LimitReader(zr, 64<<20))
		if err != nil {
			return b
		}
		return out
	case len(b) > 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		out, err := zstdDec.DecodeAll(b, nil)
		if err != nil {
			return b
		}
		return out
	}
	return b
}

// parseBody decodes a body or frame into what Node.observe takes: JSON
// (numbers as json.Number), a protobuf message when binary and one, or
// the kind of what it is (empty, text, binary).
func parseBody(b []byte, text bool) any {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return rawKind(kindEmpty)
	}
	if json.Valid(t) {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			return v
		}
	}
	if !text {
		if m, ok := parseProto(b, 0); ok {
			return m
		}
	}
	if utf8.Valid(b) {
		return rawKind(kindText)
	}
	return rawKind(kindBinary)
}
