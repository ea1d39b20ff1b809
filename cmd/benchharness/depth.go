package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// depthSyms are the pairs the depth section serves, and their stream
// names.
var depthSyms = []string{"BTC-USDT", "ETH-USDT", "SOL-USDT", "BNB-USDT"}

// depthClient is what one client of the depth section saw.
type depthClient struct {
	delays []time.Duration
	msgs   int
	bytes  int64
	levels int64 // price levels in the messages (each a ["price","qty"])
	gaps   int   // events whose U is not the previous u + 1
	err    error
}

// depthSection serves binance_spot from the built binary's synth mode
// with four pairs and puts cfg.depthClients WS clients on their
// <s>@depth@100ms diff streams at speed 1 (half on /ws/<stream>, half on
// /stream?streams=<stream>) for cfg.depthTime. Per message it measures
// the delay: the client's receive time (time.Now, ns) minus the event
// time E (ms; the 100 ms step the diff is for, in the server's clock,
// which at speed 1 with no skew is the wall clock of the same machine),
// so the figure is the server's lateness behind the step boundary plus
// delivery, at 1 ms resolution (E truncates nothing: steps are whole ms).
// Loss is every event whose U is not the previous event's u + 1 on that
// client. The server process's CPU (user+sys from /proc/PID/stat, as % of
// one core) and RSS are read at the start and end of the timed window.
func depthSection(ctx context.Context, cfg *config, t *table) error {
	const sec = "WS depth"
	raiseFileLimit()
	args := []string{"synth", "binance_spot", "--pairs", strings.Join(depthSyms, ","),
		"--listen", "127.0.0.1:0", "--no-rate-limit", "--max-conns", strconv.Itoa(cfg.depthClients + 100)}
	if cfg.depthSkew != 0 {
		args = append(args, "--clock-skew", cfg.depthSkew.String())
	}
	srv, err := startCC(cfg.bin, args...)
	if err != nil {
		return err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	ws := "ws" + strings.TrimPrefix(srv.url, "http")
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Each client reads from its connection on: a client that did not
	// read would fall behind and be cut by the server.
	var (
		wg      sync.WaitGroup
		window  = &depthWindow{begin: make(chan struct{})}
		results = make([]depthClient, cfg.depthClients)
	)
	// A read buffer that holds most diffs whole: one read syscall a
	// message rather than one per 4 kB (the default), the clients being
	// on the server's two cores. The delay is taken once the whole
	// message is read either way.
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 16 << 10}
	for i := range cfg.depthClients {
		sym := strings.ToLower(strings.ReplaceAll(depthSyms[i%len(depthSyms)], "-", ""))
		path := "/ws/" + sym + "@depth@100ms"
		if i/len(depthSyms)%2 == 1 {
			path = "/stream?streams=" + sym + "@depth@100ms"
		}
		if i%100 == 0 {
			logf("depth: dialing client %d", i)
		}
		c, _, err := d.Dial(ws+path, nil)
		if err != nil {
			return fmt.Errorf("client %d: %w", i, err)
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = readDepth(c, window, cfg.depthSkew)
		}()
	}
	// Let every stream take its first steps before the timed window.
	time.Sleep(time.Second)
	window.start = time.Now()
	window.end = window.start.Add(cfg.depthTime)
	start := window.start
	cpu0, _ := procCPU(pid)
	self0, _ := procCPU(os.Getpid())
	close(window.begin)
	wg.Wait()
	el := time.Since(start)
	cpu1, _ := procCPU(pid)
	self1, _ := procCPU(os.Getpid())
	rss, _, _ := procStatus(pid)

	var (
		delays         []time.Duration
		bySym          = make([][]time.Duration, len(depthSyms))
		msgs, gaps     int
		nbytes, levels int64
		errs           []string
	)
	for i, r := range results {
		delays = append(delays, r.delays...)
		bySym[i%len(depthSyms)] = append(bySym[i%len(depthSyms)], r.delays...)
		msgs += r.msgs
		nbytes += r.bytes
		levels += r.levels
		gaps += r.gaps
		if r.err != nil && len(errs) < 3 {
			errs = append(errs, r.err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d clients: %s", len(conns), strings.Join(errs, "; "))
	}
	if len(delays) == 0 {
		return fmt.Errorf("no depth event received in %s", cfg.depthTime)
	}
	slices.Sort(delays)
	q := func(f float64) time.Duration { return delays[min(len(delays)-1, int(f*float64(len(delays))))] }
	name := fmt.Sprintf("%d clients, 4 symbols @depth@100ms, speed 1, %s", len(conns), cfg.depthTime)
	if cfg.depthSkew != 0 {
		name += fmt.Sprintf(" (market at %s UTC)", window.start.Add(cfg.depthSkew).UTC().Format("15:04:05"))
	}
	t.info(sec, name+": delay p50 | max", ms(q(0.5))+" | "+ms(delays[len(delays)-1]))
	// Per symbol: each symbol's events are due on a beat of its own.
	var per []string
	for i, ds := range bySym {
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		per = append(per, depthSyms[i]+" "+ms(ds[len(ds)/2])+" | "+ms(ds[min(len(ds)-1, len(ds)*99/100)]))
	}
	t.info(sec, name+": delay p50 | p99 by symbol", strings.Join(per, ", "))
	t.lessThan(sec, name+": delay p99 (E → received)", float64(q(0.99))/1e6, 10, "ms")
	t.add(sec, name+": events lost (U ≠ previous u + 1)", strconv.Itoa(gaps), "0", mark(gaps == 0))
	t.info(sec, name+": messages/s | MB/s delivered (mean message: size, levels)", fmtNum(float64(msgs)/el.Seconds())+" msg/s | "+
		fmtNum(float64(nbytes)/el.Seconds()/1e6)+" MB/s ("+fmtNum(float64(nbytes)/float64(max(1, msgs))/1e3)+" kB, "+
		fmtNum(float64(levels)/float64(max(1, msgs)))+" levels)")
	cpu := "n/a"
	if cpu1 > 0 {
		cpu = fmtNum(100*(cpu1-cpu0).Seconds()/el.Seconds()) + " % of one core"
	}
	t.info(sec, name+": server CPU (user+sys) | RSS", cpu+" | "+fmtNum(rss/1024)+" MiB")
	// The clients share the machine: when they cannot keep up, messages
	// queue in the server and the delays grow with the run.
	t.info(sec, name+": the harness's own CPU (the clients)", fmtNum(100*(self1-self0).Seconds()/el.Seconds())+" % of one core")
	logf("depth: %d msgs, %d gaps, p50 %s p99 %s max %s, cpu %s", msgs, gaps, ms(q(0.5)), ms(q(0.99)), ms(delays[len(delays)-1]), cpu)
	return nil
}

// depthWindow is the timed window: start and end are set before begin
// is closed.
type depthWindow struct {
	begin      chan struct{}
	start, end time.Time
}

// readDepth reads depth events from c until the window's end, checking
// U/u continuity from the first event and timing those in the window
// (E less skew, the server's --clock-skew, against the receive time).
func readDepth(c *websocket.Conn, w *depthWindow, skew time.Duration) depthClient {
	var r depthClient
	var lastU int64
	var msg depthMsg
	in := false
	for {
		if !in {
			select {
			case <-w.begin:
				in = true
				c.SetReadDeadline(w.end)
				r.delays = make([]time.Duration, 0, int(w.end.Sub(w.start)/(100*time.Millisecond))+4)
			default:
			}
		}
		_, rd, err := c.NextReader()
		if err == nil {
			err = msg.read(rd)
		}
		now := time.Now()
		b := msg.head()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				return r
			}
			r.err = err
			return r
		}
		e, ok1 := jsonInt(b, `"E":`)
		first, ok2 := jsonInt(b, `"U":`)
		last, ok3 := jsonInt(b, `"u":`)
		if !ok1 || !ok2 || !ok3 {
			r.err = fmt.Errorf("not a depthUpdate: %.120s", b)
			return r
		}
		if lastU != 0 && first != lastU+1 {
			r.gaps++
		}
		lastU = last
		if !in || now.Before(w.start) {
			continue
		}
		r.msgs++
		r.bytes += msg.n
		r.levels += max(0, msg.brackets-2)
		r.delays = append(r.delays, max(0, now.Sub(time.UnixMilli(e).Add(-skew))))
	}
}

// depthMsg is one message as a client reads it, in a fixed buffer: its
// head (where E, U and u are), its size and its '[' count. The clients
// share the machine with the server; a buffer holding each message whole
// grew, on all 1,000 clients at once, to the first 80 kB diff of a
// jumping market, and that allocation was counted as the server's delay.
type depthMsg struct {
	chunk    [16 << 10]byte
	first    [512]byte
	nfirst   int
	n        int64
	brackets int64
}

// read reads the message from rd. A level is a ["price","qty"]: every '['
// but the two of the "b" and "a" arrays opens one (a one-byte count is a
// vector scan; `["` was a search per level, on the clients' CPU).
func (m *depthMsg) read(rd io.Reader) error {
	m.nfirst, m.n, m.brackets = 0, 0, 0
	for {
		k, err := rd.Read(m.chunk[:])
		if m.nfirst < len(m.first) {
			m.nfirst += copy(m.first[m.nfirst:], m.chunk[:k])
		}
		m.n += int64(k)
		m.brackets += int64(bytes.Count(m.chunk[:k], []byte{'['}))
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// head is the message's first bytes (all of a short one).
func (m *depthMsg) head() []byte { return m.first[:m.nfirst] }

// jsonInt reads the integer after key in b.
func jsonInt(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	var v int64
	n := 0
	for _, c := range b[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		n++
	}
	return v, n > 0
}

// procCPU is the user+sys CPU time pid has used (/proc/PID/stat fields
// 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("bad /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64) // field 14: utime
	s, err2 := strconv.ParseInt(f[12], 10, 64) // field 15: stime
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc stat")
	}
	return time.Duration(u+s) * 10 * time.Millisecond, nil
}
