package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMaxConnsRefusesPastTheCapAndStatusCountsIt: on every serving
// command, with --max-conns 1 a second connection is answered 503 while a
// first is open, and /__admin/status counts it once the first closes.
func TestMaxConnsRefusesPastTheCapAndStatusCountsIt(t *testing.T) {
	requireExchange(t, "binance_spot")
	for _, args := range [][]string{
		{"synth", "binance_spot"},
		{"replay", "--exchange", "binance_spot"},
		{"record", "binance_spot", "--cassette", filepath.Join(t.TempDir(), "c.cas"), "--upstream-rest", "http://127.0.0.1:1"},
	} {
		t.Run(args[0], func(t *testing.T) {
			s := startServing(t, append(args, "--listen", "127.0.0.1:0", "--max-conns", "1")...)
			addr := strings.TrimPrefix(s.url, "http://")
			first, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			second, err := net.Dial("tcp", addr) // accepted after first: the backlog is in order
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			second.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(second, "GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
			res, err := http.ReadResponse(bufio.NewReader(second), nil)
			if err != nil {
				t.Fatalf("second connection: %v", err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("second connection: %s, want 503", res.Status)
			}
			first.Close()

			var st struct {
				Conns *struct {
					Open    int64 `json:"open"`
					Refused int64 `json:"refused"`
				} `json:"conns"`
			}
			// Raw connections, not an http.Client: a refusal's 503 is sent
			// at accept, before the request, and a Transport would report
			// it as an error rather than as the 503 it is.
			var refusedPolls int64
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("status still not served")
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					continue
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "GET /__admin/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					c.Close()
					t.Fatalf("status poll: %v", err)
				}
				if res.StatusCode == http.StatusServiceUnavailable {
					refusedPolls++ // refused while first's close is under way
					res.Body.Close()
					c.Close()
					continue
				}
				err = jsonDecode(res.Body, &st)
				res.Body.Close()
				c.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					t.Fatalf("status: %d %v", res.StatusCode, err)
				}
				break
			}
			if st.Conns == nil || st.Conns.Refused != 1+refusedPolls || st.Conns.Open != 1 {
				t.Fatalf("status conns %+v, want %d refused and 1 open (the status request)", st.Conns, 1+refusedPolls)
			}
		})
	}
	if _, _, err := run(t, "synth", "binance_spot", "--listen", "127.0.0.1:0", "--max-conns", "0"); err == nil || !strings.Contains(err.Error(), "--max-conns 0") {
		t.Errorf("--max-conns 0: %v, want it refused", err)
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
