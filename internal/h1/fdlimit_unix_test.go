//go:build unix

package h1

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv names the child process's role, see childMain.
const childEnv = "H1_TEST_CHILD"

// childMain serves, with at most 64 file descriptors, "ok" and its Stats
// on /stats, and logs to stderr; it prints its address, then serves until
// stdin closes.
func childMain() {
	lim := syscall.Rlimit{Cur: 64, Max: 64}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err == nil && old.Max < lim.Max {
		lim = old
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	s := &Server{ErrorLog: log.New(os.Stderr, "", 0), ReadHeaderTimeout: time.Minute}
	s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stats" {
			json.NewEncoder(w).Encode(s.Stats())
			return
		}
		io.WriteString(w, "ok")
	})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		s.Close()
	}()
	fmt.Println(ln.Addr())
	err = s.Serve(ln)
	fmt.Fprintln(os.Stderr, "Serve returned:", err)
	if !errors.Is(err, ErrServerClosed) {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestAcceptSurvivesFDExhaustion runs a server limited to 64 file
// descriptors in a child process, has 100 connections run it out of them,
// closes those, and expects the next requests answered, the accept errors
// counted and logged once.
func TestAcceptSurvivesFDExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=fdlimit")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v; stderr:\n%s", err, stderr.String())
	}
	addr = strings.TrimSpace(addr)

	var conns []net.Conn
	for range 100 {
		c, err := net.Dial("tcp", addr) // the kernel completes the handshake; the backlog holds what is not accepted
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	eventually(t, "out of descriptors", func() bool { return strings.Contains(stderr.String(), "too many open files") })
	for _, c := range conns {
		c.Close()
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	get := func(path string) string {
		t.Helper()
		res, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s after running out of descriptors: %v; child's log:\n%s", path, err, stderr.String())
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	for range 5 {
		if got := get("/"); got != "ok" {
			t.Fatalf("got %q", got)
		}
	}
	var st Stats
	if err := json.Unmarshal([]byte(get("/stats")), &st); err != nil {
		t.Fatal(err)
	}
	if st.AcceptErrors == 0 {
		t.Errorf("stats %+v: no accept errors counted", st)
	}
	log := stderr.String()
	if n := strings.Count(log, "h1: accept error:"); n < 1 || int64(n) > st.AcceptErrors || n != strings.Count(log, "h1: accepting again") {
		t.Errorf("%d accept errors logged as:\n%s\nwant a line at the start and the end of each run of them", st.AcceptErrors, log)
	}
}
