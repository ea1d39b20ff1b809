package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childMain() // a server in a child process: see TestAcceptSurvivesFDExhaustion
		return
	}
	goleak.VerifyTestMain(m)
}

// echo answers with what it was asked, so that two servers can be compared
// on the request they parsed as well as on the response they framed.
func echo(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/noread": // leaves the body unread
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "not reading\n")
		return
	case "/stream": // flushes: the head goes out before the body is known
		for i := range 3 {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush()
		}
		return
	case "/big": // more than bufferLimit without a Content-Length
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for range (bufferLimit / len(chunk)) + 2 {
			w.Write(chunk)
		}
		return
	case "/nocontent":
		w.WriteHeader(http.StatusNoContent)
		return
	case "/length": // declares its length, writes in two parts
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "01234")
		io.WriteString(w, "56789")
		return
	case "/close":
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\n", r.Method, r.RequestURI, r.Proto)
	fmt.Fprintf(&b, "path=%q query=%q host=%q close=%v length=%d\n", r.URL.Path, r.URL.RawQuery, r.Host, r.Close, r.ContentLength)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, r.Header[k])
	}
	fmt.Fprintf(&b, "body=%q\n", body)
	w.Header().Set("X-Echo", "1")
	io.WriteString(w, b.String())
}

// pair starts an h1 server and a plain net/http server with the same
// handler.
func pair(t *testing.T, h http.Handler) (fast, std string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln2)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		hs.Shutdown(ctx)
	})
	return ln.Addr().String(), ln2.Addr().String()
}

// exchange sends raw, closes the write side, and reads every response
// until the server closes: "status body" per response, and the Connection
// and framing headers. A response that does not parse ends the list with
// what was left.
func exchange(t *testing.T, addr string, raw string, method string) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	out, end := readResponses(bufio.NewReader(c), method)
	if end != nil && !errors.Is(end, io.EOF) && !errors.Is(end, net.ErrClosed) && !isReset(end) {
		out = append(out, "read error: "+end.Error())
	}
	return out
}

// readResponses reads responses until one does not parse or the
// connection ends, which end says how (io.EOF for a clean close); see
// exchange.
func readResponses(br *bufio.Reader, method string) (out []string, end error) {
	for {
		if _, err := br.Peek(1); err != nil {
			return out, err
		}
		res, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			rest, _ := io.ReadAll(br)
			return append(out, "unparsable: "+err.Error()+": "+string(rest)), nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return append(out, "body error: "+err.Error()), nil
		}
		shown := fmt.Sprintf("%q", body)
		if len(shown) > 300 {
			shown = fmt.Sprintf("%d bytes, sha256 %x", len(body), sha256.Sum256(body))
		}
		framing := fmt.Sprintf("cl=%d te=%v", res.ContentLength, res.TransferEncoding)
		if len(body) > 4096 {
			// net/http chunks what outgrows its 4 KB buffer; this server
			// gathers up to bufferLimit and sends a Content-Length.
			framing = "long"
		}
		// ReadResponse takes "Connection: close" out of the header into
		// res.Close.
		out = append(out, fmt.Sprintf("%d %s ct=%q conn=%q close=%v %s", res.StatusCode, framing,
			res.Header.Get("Content-Type"), res.Header.Get("Connection"), res.Close, shown))
	}
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// requests the server must answer as net/http does: those it serves
// itself and those it hands over.
var requests = []struct {
	name, raw, method string
}{
	{"get", "GET /api/v3/klines?symbol=BTCUSDT&interval=1m HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n", "GET"},
	{"pipelined", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b?c=d HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET"},
	{"post body", "POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"type\":\"allMids\"}GET /after HTTP/1.1\r\nHost: x\r\n\r\n", "POST"},
	{"body unread", "POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: x\r\n\r\n", "POST"},
	{"head", "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD"},
	{"http10", "GET /old HTTP/1.0\r\n\r\nGET /never HTTP/1.0\r\n\r\n", "GET"},
	{"http10 keep-alive", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /again HTTP/1.0\r\n\r\n", "GET"},
	{"connection close", "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"handler close", "GET /close HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"stream", "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"stream http10", "GET /stream HTTP/1.0\r\n\r\n", "GET"},
	{"big", "GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"no content", "GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"length", "GET /length HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"chunked body", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n", "POST"},
	{"expect", "POST /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", "POST"},
	{"no host", "GET / HTTP/1.1\r\n\r\n", "GET"},
	{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET"},
	{"bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "GET"},
	{"garbage", "GARBAGE\r\n\r\n", "GET"},
	{"lf only", "GET /lf HTTP/1.1\nHost: x\n\n", "GET"},
	{"mixed line ends", "GET /lf HTTP/1.1\r\nHost: x\n\r\n", "GET"},
	{"folded", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", "GET"},
	{"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n", "GET"},
	{"absolute form", "GET http://x/abs?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS"},
	{"http2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET"},
	{"http09", "GET /\r\n\r\n", "GET"},
	{"http12", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", "GET"},
	{"unknown method", "PROPFIND /x HTTP/1.1\r\nHost: x\r\n\r\n", "PROPFIND"},
	{"lowercase method", "get /x HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"two lengths", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", "POST"},
	{"bad length", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: -2\r\n\r\nhi", "POST"},
	{"plus length", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nhi", "POST"},
	{"short body", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nhi", "POST"},
	{"cut head", "GET /p HTTP/1.1\r\nHost: x\r\n", "GET"},
	{"cut request line", "GET /p HT", "GET"},
	{"escapes", "GET /a%20b/%2F?x=%zz&y=%41 HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"bad escape", "GET /a%zzb HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"utf8 target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"ctl in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", "GET"},
	{"del in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", "GET"},
	{"high bytes in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\n\r\n", "GET"},
	{"tab in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb \t\r\n\r\n", "GET"},
	{"empty value", "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n", "GET"},
	{"odd name", "GET / HTTP/1.1\r\nHost: x\r\nx_y-Z.1~: v\r\n\r\n", "GET"},
	{"bad name", "GET / HTTP/1.1\r\nHost: x\r\nX(A): v\r\n\r\n", "GET"},
	{"empty name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", "GET"},
	{"leading crlf", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "GET"},
	{"websocket", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", "GET"},
	{"huge head", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n", "GET"},
	{"host with port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", "GET"},
	{"ipv6 host", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "GET"},
	{"repeated header", "GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\n\r\n", "GET"},
	{"te and length", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", "POST"},
}

// TestSameAsNetHTTP sends every request to this server and to net/http
// and expects the same answers.
func TestSameAsNetHTTP(t *testing.T) {
	fast, std := pair(t, http.HandlerFunc(echo))
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, fast, tc.raw, tc.method)
			want := exchange(t, std, tc.raw, tc.method)
			if !slices.Equal(got, want) {
				t.Errorf("h1:\n%s\nnet/http:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(want) == 0 && tc.name != "cut head" && tc.name != "cut request line" {
				t.Errorf("no response at all")
			}
		})
	}
}

// TestMutatedRequestsSameAsNetHTTP flips, drops and inserts bytes in the
// requests above and compares again: whatever this server accepts, it must
// parse as net/http does, and whatever it refuses goes to net/http.
func TestMutatedRequestsSameAsNetHTTP(t *testing.T) {
	fast, std := pair(t, http.HandlerFunc(echo))
	rng := rand.New(rand.NewPCG(8, 1))
	n := 1500
	if testing.Short() {
		n = 200
	}
	alphabet := []byte(" \t\r\n:/?%&=Hh0\x00\x7f\xff,;aZ")
	for i := range n {
		tc := requests[rng.IntN(len(requests))]
		if len(tc.raw) > 4096 {
			continue
		}
		b := []byte(tc.raw)
		for range 1 + rng.IntN(3) {
			if len(b) == 0 {
				break
			}
			p := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[p] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = append(b[:p], b[p+1:]...)
			default:
				b = slices.Insert(b, p, alphabet[rng.IntN(len(alphabet))])
			}
		}
		got := trimBadTail(exchange(t, fast, string(b), tc.method))
		want := trimBadTail(exchange(t, std, string(b), tc.method))
		if !slices.Equal(got, want) {
			t.Fatalf("mutation %d of %q: %q\nh1:\n%s\nnet/http:\n%s", i, tc.name, b, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// trimBadTail drops a last "400 Bad Request": bytes left after the last
// complete request when the client half-closes get that answer or none
// from net/http, depending on whether its background read saw the end of
// the stream first.
func trimBadTail(out []string) []string {
	if n := len(out); n > 1 && strings.HasSuffix(out[n-1], `"400 Bad Request"`) {
		return out[:n-1]
	}
	return out
}

// start serves h on a fresh h1 server; the cleanup shuts it down.
func start(t *testing.T, h http.Handler) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return s, ln.Addr().String()
}

// TestWebSocketUpgradeGoesToNetHTTP: a gorilla client and server talk
// through the server (the upgrade is handed over with its bytes).
func TestWebSocketUpgradeGoesToNetHTTP(t *testing.T) {
	up := websocket.Upgrader{}
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			c.WriteMessage(mt, append([]byte("echo "), m...))
		}
	}))
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		msg := fmt.Sprintf("m%d", i)
		if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != "echo "+msg {
			t.Fatalf("got %q, %v", got, err)
		}
	}
}

// TestHijack: a handler may take the connection (netsim drops requests
// that way) and the server leaves it alone.
func TestHijack(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/drop" {
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			c.Close()
			return
		}
		if r.URL.Path == "/raw" {
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer c.Close()
			// The pipelined request after this one is readable from brw.
			line, _ := brw.ReadString('\n')
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(line), line)
			return
		}
		io.WriteString(w, "ok")
	}))
	res, err := http.Get("http://" + addr + "/drop")
	if err == nil {
		res.Body.Close()
		t.Fatalf("a dropped request got %s", res.Status)
	}
	got := exchange(t, addr, "GET /raw HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\n", "GET")
	if len(got) != 1 || !strings.Contains(got[0], `"GET /next HTTP/1.1\r\n"`) {
		t.Fatalf("hijacked connection answered %q", got)
	}
	if got := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); len(got) != 1 || !strings.HasPrefix(got[0], "200") {
		t.Fatalf("after the hijacks: %q", got)
	}
}

// TestPanicClosesOnlyThatConnection: a panicking handler costs its client
// the connection, not the server.
func TestPanicClosesOnlyThatConnection(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "ok")
	}))
	for _, p := range []string{"/panic", "/abort"} {
		if got := exchange(t, addr, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); len(got) != 0 {
			t.Fatalf("%s: got %q, want the connection closed without a response", p, got)
		}
	}
	if got := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); len(got) != 1 || !strings.HasPrefix(got[0], "200") {
		t.Fatalf("after the panics: %q", got)
	}
}

// TestContextCanceledWhenClientLeaves: a handler waiting on its context
// (as a simulated delay or hang does) is released when the client closes
// the connection, and the context ends when the handler returns.
func TestContextCanceledWhenClientLeaves(t *testing.T) {
	released := make(chan error, 1)
	var last atomic.Pointer[http.Request]
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last.Store(r)
		if r.URL.Path != "/hang" {
			io.WriteString(w, "ok")
			return
		}
		select {
		case <-r.Context().Done():
			released <- r.Context().Err()
		case <-time.After(5 * time.Second):
			released <- errors.New("not released")
		}
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	c.Close()
	if err := <-released; !errors.Is(err, context.Canceled) {
		t.Fatalf("hanging handler: %v", err)
	}

	res, err := http.Get("http://" + addr + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := last.Load().Context().Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("context after the handler returned: %v", err)
	}
}

// TestWatchKeepsPipelinedRequest: while a handler waits on its context,
// the next request arriving on the connection is not lost.
func TestWatchKeepsPipelinedRequest(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		io.WriteString(w, r.URL.Path)
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(30 * time.Millisecond) // the handler is waiting, the watch reading
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	for _, want := range []string{"/slow", "/next"} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the answer to %s: %v", want, err)
		}
		b, _ := io.ReadAll(res.Body)
		if string(b) != want {
			t.Fatalf("got %q, want %q", b, want)
		}
	}
}

// TestShutdown waits for a request in flight, closes idle connections,
// runs the hooks, and Serve returns ErrServerClosed.
func TestShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inside := make(chan struct{})
	finish := make(chan struct{})
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(inside)
			<-finish
		}
		io.WriteString(w, "done")
	})}
	var hooked atomic.Bool
	s.RegisterOnShutdown(func() { hooked.Store(true) })
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	addr := ln.Addr().String()

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(idle)
	if res, err := http.ReadResponse(br, nil); err != nil {
		t.Fatal(err)
	} else {
		io.Copy(io.Discard, res.Body)
	}

	slowRes := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			slowRes <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		slowRes <- string(b)
	}()
	<-inside
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	// The idle connection is closed; the request in flight is not.
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	if got := <-slowRes; got != "done" {
		t.Fatalf("request in flight got %q", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if !hooked.Load() {
		t.Fatal("shutdown hook did not run")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

// TestShutdownDeadline: Shutdown gives up when ctx ends first, and says
// how many connections were still serving a request.
func TestShutdownDeadline(t *testing.T) {
	block := make(chan struct{})
	s, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	go http.Get("http://" + addr + "/")
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline", err)
	}
	if !strings.Contains(err.Error(), "1 connections still serving a request") {
		t.Errorf("Shutdown: %v, want the count of connections serving", err)
	}
	close(block)
}

// TestReadHeaderTimeout: a client that starts a head and stalls is cut
// (after net/http's answer to what it sent: see TestTimeoutsSameAsNetHTTP).
func TestReadHeaderTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: http.HandlerFunc(echo), ReadHeaderTimeout: 100 * time.Millisecond}
	go s.Serve(ln)
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHo")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	startRead := time.Now()
	if _, err = io.ReadAll(c); err != nil || time.Since(startRead) > 3*time.Second {
		t.Fatalf("stalled head: %v after %v, want the connection closed", err, time.Since(startRead))
	}
}

// TestHijackedConnectionWritesBuffers: a hijacked connection writes
// net.Buffers as one vectored write (WriteBuffers, which WebSocket
// sessions use for a big frame and what they gathered before it), whole
// and in order.
func TestHijackedConnectionWritesBuffers(t *testing.T) {
	body := strings.Repeat("b", 70<<10)
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer c.Close()
		bw, ok := c.(interface {
			WriteBuffers(*net.Buffers) (int64, error)
		})
		if !ok {
			t.Errorf("the hijacked %T has no WriteBuffers", c)
			return
		}
		head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(body))
		bufs := net.Buffers{[]byte(head), []byte(body)}
		if n, err := bw.WriteBuffers(&bufs); n != int64(len(head)+len(body)) || err != nil {
			t.Errorf("WriteBuffers: %d, %v", n, err)
		}
	}))
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil || string(got) != body {
		t.Fatalf("read %d bytes (%v), want the %d written", len(got), err, len(body))
	}
}
