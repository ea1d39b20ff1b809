package replay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/serve"
)

// MissUpstream for a stream: a subscription to a stream the cassette did
// not record is served from the upstream exchange. The tape dials the
// upstream's kline stream the way the plugin says a client subscribes
// (plugins.KlineSubscriber), decodes its frames with the plugin and passes
// the stream's updates on, re-encoded by the plugin for the client — one
// upstream connection per subscription, closed with it. With
// RecordMissing the connection is appended to the cassette (frames both
// ways, labelled and indexed as record labels them: record.FrameSeries),
// so the next replay serves the stream as recorded. A plugin without
// KlineSubscriber, or a tape without a WS upstream, serves such a stream
// synthetic.

// upstreamDialer dials the upstream streams.
var upstreamDialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 32 << 10}

// upstreamStream subscribes (symbol, iv) at the upstream for ctx's
// lifetime. ok is false when the tape cannot (no WS upstream, a plugin
// that cannot say how to subscribe).
func (t *tape) upstreamStream(ctx context.Context, p plugins.Plugin, symbol string, iv cc.Interval) (ch <-chan cc.Update, ok bool, err error) {
	ks, can := p.(plugins.KlineSubscriber)
	if t.wsUpstream == "" || !can {
		return nil, false, nil
	}
	path, msgs := ks.KlineSubscription(symbol, iv)
	conn, _, err := upstreamDialer.DialContext(ctx, t.wsUpstream+path, nil)
	if err != nil {
		return nil, true, fmt.Errorf("replay: upstream stream %s: %w", cassettes.StreamLabel(symbol, iv), err)
	}
	up := &upstreamConn{t: t, p: p, conn: conn, path: path, start: time.Now()}
	if t.index.live {
		// Appended to the cassette as a connection of its own.
		if up.id, err = t.c.BeginConn(path, up.start); err != nil {
			conn.Close()
			return nil, true, fmt.Errorf("replay: appending to the cassette: %w", err)
		}
	}
	for _, m := range msgs {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := conn.WriteMessage(websocket.TextMessage, m); err != nil {
			up.end(0)
			return nil, true, fmt.Errorf("replay: upstream stream %s: %w", cassettes.StreamLabel(symbol, iv), err)
		}
		up.record(cassettes.FromClient, websocket.TextMessage, m)
	}
	out := make(chan cc.Update, 64)
	go up.pump(ctx, symbol, iv, out)
	t.u.stream(serve.SourceUpstream)
	return out, true, nil
}

// upstreamConn is one upstream stream connection; its pump alone uses it
// once started.
type upstreamConn struct {
	t     *tape
	p     plugins.Plugin
	conn  *websocket.Conn
	path  string
	start time.Time
	id    uint64 // the cassette's connection, when recording
}

// pump passes the stream's updates on until ctx ends or the upstream
// closes, then closes out.
func (up *upstreamConn) pump(ctx context.Context, symbol string, iv cc.Interval, out chan<- cc.Update) {
	defer close(out)
	stop := context.AfterFunc(ctx, func() { up.conn.Close() }) // unblocks the read
	defer stop()
	code := 1000
	for {
		typ, data, err := up.conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				code = ce.Code
			} else if ctx.Err() == nil {
				code = 1006
			}
			break
		}
		up.record(cassettes.FromServer, typ, data)
		ups, err := up.p.DecodeFrame(up.path, data)
		if err != nil {
			continue // an ack, a pong
		}
		for _, u := range ups {
			if u.Symbol != symbol || u.Interval != iv {
				continue
			}
			select {
			case out <- u:
			case <-ctx.Done():
				up.end(1000)
				return
			}
		}
	}
	up.end(code)
}

// record appends a frame when recording.
func (up *upstreamConn) record(dir cassettes.Direction, opcode int, data []byte) {
	if up.id == 0 {
		return
	}
	f := cassettes.Frame{Conn: up.id, Dir: dir, Opcode: opcode, Offset: time.Since(up.start), Payload: data}
	series := record.FrameSeries(up.p, up.path, &f)
	if err := up.t.c.AddFrame(f, series...); err != nil {
		up.t.u.logger.Error("replay: appending a frame to the cassette", "err", err.Error())
	}
}

// end closes the connection and, when recording, ends it in the cassette.
func (up *upstreamConn) end(code int) {
	up.conn.Close()
	if up.id != 0 {
		if err := up.t.c.EndConn(up.id, time.Now(), code); err != nil {
			up.t.u.logger.Error("replay: appending to the cassette", "err", err.Error())
		}
	}
}

// wsBase is the WS base URL for an exchange's upstream streams: the one
// given, else the REST one given as ws(s), else the plugin's default.
func wsBase(given, rest string, p plugins.Plugin) string {
	switch {
	case given != "":
		return strings.TrimRight(given, "/")
	case rest != "":
		return strings.TrimRight("ws"+strings.TrimPrefix(rest, "http"), "/")
	}
	return strings.TrimRight(p.Defaults().UpstreamWS, "/")
}
