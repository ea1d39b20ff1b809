package h1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// staticBodies are large bodies that never change, each written with
// WriteStatic by the handler below.
func staticBodies(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var b bytes.Buffer
		for b.Len() < size {
			fmt.Fprintf(&b, "[%d,%d,\"%08d\"],", i, b.Len(), b.Len()*7+i)
		}
		out[i] = b.Bytes()[:size]
	}
	return out
}

func staticHandler(bodies [][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || i < 0 || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		b := bodies[i]
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if r.URL.Query().Has("code") {
			w.WriteHeader(http.StatusAccepted)
		}
		n, err := w.(interface{ WriteStatic([]byte) (int, error) }).WriteStatic(b)
		if err == nil && n != len(b) {
			panic("short WriteStatic")
		}
	})
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

// TestStaticBodies: large never-changing bodies come out whole and right,
// over keep-alive and pipelined requests, from several clients at once,
// through memory-file rotations; HEAD gets none; small ones go the
// ordinary way; closing the server leaves no memory file open.
func TestStaticBodies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sendfile from memory files is Linux-only; elsewhere WriteStatic is Write")
	}
	old := arenaBytes
	arenaBytes = 1 << 20 // rotate often
	defer func() { arenaBytes = old }()
	before := openFDs(t)

	bodies := append(staticBodies(12, 300<<10), staticBodies(1, 1000)...) // the last is below staticMin
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Handler: staticHandler(bodies)}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	addr := ln.Addr().String()

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for round := range 10 {
				// Three pipelined requests a round.
				var reqs []int
				var raw strings.Builder
				for k := range 3 {
					i := (client*7 + round*3 + k) % len(bodies)
					reqs = append(reqs, i)
					fmt.Fprintf(&raw, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
				}
				if _, err := io.WriteString(c, raw.String()); err != nil {
					errs <- err
					return
				}
				for _, i := range reqs {
					res, err := http.ReadResponse(br, nil)
					if err != nil {
						errs <- fmt.Errorf("client %d round %d body %d: %v", client, round, i, err)
						return
					}
					got, err := io.ReadAll(res.Body)
					if err != nil || !bytes.Equal(got, bodies[i]) {
						errs <- fmt.Errorf("client %d body %d: %d bytes (%v), want %d identical", client, i, len(got), err, len(bodies[i]))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// A status other than 200 and HEAD.
	res, err := http.Get("http://" + addr + "/3?code=1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || !bytes.Equal(got, bodies[3]) || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("202: %s, %d bytes, %q", res.Status, len(got), res.Header.Get("Content-Type"))
	}
	res, err = http.Head("http://" + addr + "/3")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ContentLength != int64(len(bodies[3])) {
		t.Fatalf("HEAD: Content-Length %d", res.ContentLength)
	}

	s.static.mu.Lock()
	sends, arenas := s.static.sends, s.static.arenas
	s.static.mu.Unlock()
	if sends < 4*10*3*12/13 || arenas < 3 {
		t.Fatalf("%d bodies sent from %d memory files: the sendfile path was not taken", sends, arenas)
	}
	s.Close()
	<-served
	// The memory files are closed once their sends ended.
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := openFDs(t); after > before {
		t.Fatalf("%d file descriptors open after Close, %d before", after, before)
	}
}

// TestStaticSameAsWrite: WriteStatic's answer is byte for byte Write's
// (head and body) but for the Date header.
func TestStaticSameAsWrite(t *testing.T) {
	bodies := staticBodies(1, 100<<10)
	_, fast := start(t, staticHandler(bodies))
	_, plain := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(bodies[0])))
		w.Write(bodies[0])
	}))
	get := func(addr string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.Index(s, "Date: ")
		j := strings.Index(s[i:], "\r\n")
		return s[:i] + s[i+j:]
	}
	if a, b := get(fast), get(plain); a != b {
		t.Fatalf("WriteStatic answer differs from Write's:\n%.300q\n%.300q", a, b)
	}
}
