package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a candlecassette process started by the harness.
type proc struct {
	cmd  *exec.Cmd
	url  string // from its "listening on URL" line
	done chan error
	log  *syncBuf
}

// startCC runs the binary with args (which should include --listen
// 127.0.0.1:0) and waits for its "listening on" line.
func startCC(bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan error, 1), log: &syncBuf{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- strings.TrimSpace(u)
			}
		}
		io.Copy(io.Discard, out)
		p.done <- cmd.Wait()
	}()
	select {
	case p.url = <-lines:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s %s exited before listening: %v: %s", bin, strings.Join(args, " "), err, p.log.String())
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s %s: no listening line in 30s", bin, strings.Join(args, " "))
	}
}

// stop interrupts the process (it flushes and exits cleanly on SIGINT) and
// waits for it, killing it after 10 s.
func (p *proc) stop() error {
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.done:
		return err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		return <-p.done
	}
}

// syncBuf is a buffer written by the exec package's copier and read by
// the harness.
type syncBuf struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuf) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.b) < 1<<20 {
		s.b = append(s.b, b...)
	}
	return len(b), nil
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// run runs a command, returning its combined output.
func run(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	b, err := cmd.CombinedOutput()
	return string(b), err
}
