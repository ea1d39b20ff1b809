package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/cassettes"
)

// wsStart is when the synthetic recordings begin.
var wsStart = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// appendKlineFrame writes a Binance kline event for frame i of a stream
// recorded every `every`; the trade count carries i, so a client can tell
// a lost or reordered message.
func appendKlineFrame(b []byte, sym string, i int, every time.Duration) []byte {
	at := wsStart.Add(time.Duration(i) * every).UnixMilli()
	open := at - at%60_000
	b = append(b, `{"e":"kline","E":`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `,"s":"`...)
	b = append(b, sym...)
	b = append(b, `","k":{"t":`...)
	b = strconv.AppendInt(b, open, 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, open+59_999, 10)
	b = append(b, `,"s":"`...)
	b = append(b, sym...)
	b = append(b, `","i":"1m","f":100,"L":200,"o":"42000.00000000","c":"`...)
	b = strconv.AppendInt(b, 42000+int64(i%1000), 10)
	b = append(b, `.01000000","h":"43000.00000000","l":"41000.00000000","v":"12.34500000","n":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, `,"x":false,"q":"518490.00000000","V":"6.10000000","Q":"256200.00000000","B":"0"}}`...)
}

// streamCassette writes (or reuses from the cache dir) a cassette with one
// recorded connection per symbol, n kline frames each, every apart.
func streamCassette(dir string, syms []string, n int, every time.Duration) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("ws-v%d-%s-%d-%s.cassette", cassettes.FormatVersion, strings.Join(syms, "_"), n, every))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	os.MkdirAll(dir, 0o755)
	tmp := path + ".tmp"
	os.Remove(tmp)
	c, err := cassettes.Open(tmp, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true, BatchItems: 20_000})
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) { c.Close(); os.Remove(tmp); return "", err }
	for _, sym := range syms {
		id, err := c.BeginConn("/ws/"+strings.ToLower(sym)+"@kline_1m", wsStart)
		if err != nil {
			return fail(err)
		}
		for i := range n {
			f := cassettes.Frame{Conn: id, Dir: cassettes.FromServer, Opcode: websocket.TextMessage,
				Offset: time.Duration(i) * every, Stream: sym + " 1m", Payload: appendKlineFrame(nil, sym, i, every)}
			if err := c.AddFrame(f); err != nil {
				return fail(err)
			}
		}
		if err := c.EndConn(id, wsStart.Add(time.Duration(n)*every), websocket.CloseNormalClosure); err != nil {
			return fail(err)
		}
	}
	if err := c.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// seqOf reads the trade count ("n":) of a kline event.
func seqOf(b []byte) int {
	i := bytes.Index(b, []byte(`"n":`))
	if i < 0 {
		return -1
	}
	v := 0
	for _, c := range b[i+4:] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit for the harness and
// the servers it starts (1,000 WS clients need more than 1,024 fds).
func raiseFileLimit() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

func wsSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "WS e2e"
	raiseFileLimit()
	// 1. One client, --speed max.
	logf("writing a %d-frame recorded stream", cfg.wsFrames)
	path, err := streamCassette(cfg.cacheDir, []string{"BTCUSDT"}, cfg.wsFrames, 100*time.Millisecond)
	if err != nil {
		return err
	}
	srv, err := startCC(cfg.bin, "replay", "--cassette", path, "--speed", "max", "--listen", "127.0.0.1:0", "--no-rate-limit")
	if err != nil {
		return err
	}
	rate, lost, err := speedMax(srv.url, cfg.wsFrames)
	srv.stop()
	if err != nil {
		return err
	}
	t.atLeast(sec, fmt.Sprintf("1 client, --speed max: msgs/s delivered (%d frames)", cfg.wsFrames), rate, 500_000, "msg/s")
	t.add(sec, "1 client, --speed max: lost or reordered", strconv.Itoa(lost), "0", mark(lost == 0))

	// 2. 1,000 clients at speed 1.
	syms := []string{"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"}
	every := 100 * time.Millisecond
	n := cfg.wsSeconds * int(time.Second/every)
	path, err = streamCassette(cfg.cacheDir, syms, n, every)
	if err != nil {
		return err
	}
	srv, err = startCC(cfg.bin, "replay", "--cassette", path, "--listen", "127.0.0.1:0", "--no-rate-limit")
	if err != nil {
		return err
	}
	defer srv.stop()
	delays, lost, err := manyClients(srv.url, syms, cfg.wsClients, n, every)
	if err != nil {
		return err
	}
	slices.Sort(delays)
	q := func(f float64) time.Duration { return delays[min(len(delays)-1, int(f*float64(len(delays))))] }
	name := fmt.Sprintf("%d clients, speed 1, %d msgs each", cfg.wsClients, n)
	t.info(sec, name+": delay p50 | max", ms(q(0.5))+" | "+ms(delays[len(delays)-1]))
	t.lessThan(sec, name+": delay p99 (scheduled → received)", float64(q(0.99))/1e6, 10, "ms")
	t.add(sec, name+": messages lost", strconv.Itoa(lost), "0", mark(lost == 0))
	return nil
}

// speedMax reads n messages of the recorded stream and returns the rate
// from the first to the last, and how many were missing or out of order.
func speedMax(base string, n int) (float64, int, error) {
	d := websocket.Dialer{ReadBufferSize: 1 << 16}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	var first time.Time
	lost, next := 0, 0
	for i := 0; i < n; i++ {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return 0, 0, fmt.Errorf("message %d of %d: %w", i, n, err)
		}
		if i == 0 {
			first = time.Now()
		}
		if s := seqOf(b); s != next {
			lost++
			next = s
		}
		next++
	}
	el := time.Since(first)
	return float64(n-1) / el.Seconds(), lost, nil
}

// manyClients connects clients spread over the streams, each reading n
// messages. A message's schedule is the client's connect time plus its
// recorded offset; its delay is how much later it arrived.
func manyClients(base string, syms []string, clients, n int, every time.Duration) ([]time.Duration, int, error) {
	var (
		mu     sync.Mutex
		delays = make([]time.Duration, 0, clients*n)
		lost   int
		errs   []error
		wg     sync.WaitGroup
	)
	ws := "ws" + strings.TrimPrefix(base, "http")
	for c := range clients {
		sym := strings.ToLower(syms[c%len(syms)])
		conn, _, err := websocket.DefaultDialer.Dial(ws+"/ws/"+sym+"@kline_1m", nil)
		if err != nil {
			return nil, 0, fmt.Errorf("client %d: %w", c, err)
		}
		t0 := time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			conn.SetReadDeadline(time.Now().Add(time.Duration(n)*every + 30*time.Second))
			local := make([]time.Duration, 0, n)
			miss := 0
			for i := 0; i < n; i++ {
				_, b, err := conn.ReadMessage()
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					miss += n - i
					break
				}
				at := time.Since(t0)
				s := seqOf(b)
				if s != i {
					miss++
				}
				local = append(local, max(0, at-time.Duration(s)*every))
			}
			mu.Lock()
			delays = append(delays, local...)
			lost += miss
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(delays) == 0 {
		return nil, lost, fmt.Errorf("no message received: %v", errs)
	}
	return delays, lost, nil
}
