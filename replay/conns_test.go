package replay_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// TestConnectionTimeoutsApplyAndStatusCountsThem: a connection that sends
// nothing is closed at ReadHeaderTimeout, one kept alive after a request at
// IdleTimeout, and Status counts both.
func TestConnectionTimeoutsApplyAndStatusCountsThem(t *testing.T) {
	srv, err := replay.Start(replay.Options{
		Exchange: "binance_spot",
		Serve:    serve.Options{ReadHeaderTimeout: 100 * time.Millisecond, IdleTimeout: 100 * time.Millisecond},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	if st := srv.Status(); st.Conns == nil || *st.Conns != (serve.ConnStats{}) {
		t.Fatalf("before any connection: %+v", st.Conns)
	}
	closedBy := func(req string) {
		t.Helper()
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		b, err := io.ReadAll(c)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("%q: %v", req, err)
		}
		if req != "" && !strings.HasPrefix(string(b), "HTTP/1.1 200 OK") {
			t.Fatalf("%q answered %q", req, b)
		}
	}
	closedBy("")
	closedBy("GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
	st := srv.Status().Conns
	if st.HeaderTimeouts != 1 || st.IdleCloses != 1 {
		t.Fatalf("conns %+v, want 1 header timeout and 1 idle close", st)
	}
}
