package gateio

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

// spot.obu is Gate's order book v2 channel: payload ["ob.{pair}.{level}"],
// level 50 (every 20 ms) or 400 (every 100 ms). The first push is the
// whole book at that depth (full=true, its id as u), then diffs with
// first and last ids U and u; a client that sees U != its id + 1
// unsubscribes and subscribes again for a new full push. A second
// subscribe to the same stream on a connection fails ("Alert sub ...").

// obuLevels are the documented levels with their cadence.
var obuLevels = map[string]time.Duration{"50": 20 * time.Millisecond, "400": 100 * time.Millisecond}

// obuStream is one parsed spot.obu stream name.
type obuStream struct {
	name, pair string // ob.BTC_USDT.50, BTC_USDT
	depth      int
	every      time.Duration
}

// parseObu reads "ob.{pair}.{level}".
func parseObu(s string) (obuStream, bool) {
	rest, ok := strings.CutPrefix(s, "ob.")
	i := strings.LastIndexByte(rest, '.')
	if !ok || i <= 0 {
		return obuStream{}, false
	}
	every, ok := obuLevels[rest[i+1:]]
	if !ok {
		return obuStream{}, false
	}
	depth, _ := strconv.Atoi(rest[i+1:])
	return obuStream{name: s, pair: rest[:i], depth: depth, every: every}, true
}

// obuChannel serves spot.obu subscribe and unsubscribe.
func (p *proto) obuChannel(sess *plugins.Session, req *request) {
	var names []string
	if err := json.Unmarshal(req.Payload, &names); err != nil || len(names) == 0 {
		p.fail(sess, req, 2, "invalid argument: payload must be [\"ob.{symbol}.{level}\"]")
		return
	}
	streams := make([]obuStream, 0, len(names))
	for _, n := range names {
		st, ok := parseObu(n)
		if !ok {
			p.fail(sess, req, 2, "invalid argument: "+n)
			return
		}
		if _, ok := p.s.env.PairBySymbol(st.pair); !ok {
			p.fail(sess, req, 2, "unknown currency pair "+st.pair)
			return
		}
		streams = append(streams, st)
	}
	key := func(st obuStream) string { return req.Channel + "_" + st.name }
	switch req.Event {
	case "subscribe":
		if p.s.env.Books == nil {
			p.fail(sess, req, 3, "server error: "+kit.ErrNoBooks.Error())
			return
		}
		for _, st := range streams {
			if sess.Subscribed(key(st)) {
				p.fail(sess, req, 2, "Alert sub "+st.name)
				return
			}
		}
		p.reply(sess, req, "subscribe", map[string]string{"status": "success"}, nil)
		for _, st := range streams {
			k := key(st)
			first := func(b cc.Book) {
				sess.Push(k, encodeObu(req.Channel, st.name, cc.BookDiff{Time: b.Time, FirstSeq: b.Seq, LastSeq: b.Seq, Bids: b.Bids, Asks: b.Asks}, true))
			}
			err := kit.SubscribeBookDiffs(sess, k, st.pair, st.depth, st.every, first, func(d cc.BookDiff) {
				// Through the protocol faults (no checksum): a gap shows
				// as U past the last u+1.
				sess.PushBookDiff(k, encodeObu(req.Channel, st.name, d, false), nil)
			})
			if err != nil {
				p.fail(sess, req, 3, "server error: "+err.Error())
				return
			}
		}
	case "unsubscribe":
		for _, st := range streams {
			sess.Unsubscribe(key(st))
		}
		p.reply(sess, req, "unsubscribe", map[string]string{"status": "success"}, nil)
	default:
		p.fail(sess, req, 1, "invalid event "+strconv.Quote(req.Event))
	}
}

// encodeObu is a spot.obu push: {"channel", "result": {t, full, s, u, b,
// a} for the full book, {t, s, U, u, b, a} for a diff, "time_ms",
// "event":"update"}, levels as [price, amount] strings.
func encodeObu(channel, stream string, d cc.BookDiff, full bool) []byte {
	ms := d.Time / 1000
	b := append([]byte(`{"channel":"`), channel...)
	b = append(b, `","result":{"t":`...)
	b = strconv.AppendInt(b, ms, 10)
	if full {
		b = append(b, `,"full":true`...)
	}
	b = append(b, `,"s":"`...)
	b = append(b, stream...)
	b = append(b, '"')
	if !full {
		b = append(b, `,"U":`...)
		b = strconv.AppendInt(b, d.FirstSeq, 10)
	}
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, d.LastSeq, 10)
	b = append(b, `,"b":`...)
	b = kit.AppendQuotedLevels(b, d.Bids)
	b = append(b, `,"a":`...)
	b = kit.AppendQuotedLevels(b, d.Asks)
	b = append(b, `},"time_ms":`...)
	b = strconv.AppendInt(b, ms, 10)
	return append(b, `,"event":"update"}`...)
}
