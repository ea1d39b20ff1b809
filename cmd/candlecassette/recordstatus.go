package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/candlecassette/candlecassette/record"
)

// Live status of `record`: on a terminal one line redrawn in place; to a
// file or a pipe a plain log line every --status-every.

// recordProgress is what the status shows.
type recordProgress struct {
	Requests int64 // REST requests proxied
	Frames   int64 // WS messages relayed, both ways
	Bytes    int64 // REST response bytes sent to clients
	Cassette int64 // the cassette file's size
	Errors   int64 // failed cassette writes and REST requests failed (5xx or no answer)
}

// progressOf samples srv and the cassette file at path.
func progressOf(srv *record.Server, path string) recordProgress {
	var p recordProgress
	for _, st := range srv.Exchanges() {
		t := st.Traffic()
		p.Requests += t.Requests
		p.Bytes += t.Bytes
		p.Errors += t.Failed
		ws := st.Hub().Stats()
		p.Frames += ws.MessagesSent + ws.MessagesReceived
	}
	p.Errors += srv.WriteErrors().Count
	if fi, err := os.Stat(path); err == nil {
		p.Cassette = fi.Size()
	}
	return p
}

// statusLine formats p for the terminal line.
func statusLine(p recordProgress, elapsed time.Duration) string {
	return fmt.Sprintf("recording %s: %d requests, %d frames, %s sent, cassette %s, %d errors",
		elapsed.Truncate(time.Second), p.Requests, p.Frames, byteSize(p.Bytes), byteSize(p.Cassette), p.Errors)
}

// byteSize spells n bytes in binary units: 512 B, 1.5 KiB, 12.0 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// isTerminal says whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showStatus reports sample() until ctx ends: on a terminal w, one line
// redrawn every redraw; otherwise a log line every every (none if every
// is 0). It returns once the last line is out.
func showStatus(ctx context.Context, w io.Writer, logger *slog.Logger, tty bool, every time.Duration, sample func() recordProgress) {
	start := time.Now()
	if tty {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fmt.Fprintf(w, "\r\x1b[K%s\n", statusLine(sample(), time.Since(start)))
				return
			case <-t.C:
				fmt.Fprintf(w, "\r\x1b[K%s", statusLine(sample(), time.Since(start)))
			}
		}
	}
	if every <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p := sample()
			logger.Info("recording", "requests", p.Requests, "frames", p.Frames, "bytes", p.Bytes,
				"cassette_bytes", p.Cassette, "errors", p.Errors, "elapsed", time.Since(start).Truncate(time.Second))
		}
	}
}
