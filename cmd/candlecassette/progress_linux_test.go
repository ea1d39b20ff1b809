package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what is written to tty reads
// from master.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		t.Skipf("ptsname: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("open the terminal side: %v", err)
	}
	return master, tty
}

// importOn runs the import command with stderr on the given file and
// returns what it wrote there (read from master when it is a terminal).
func importOn(t *testing.T, stderr *os.File, master *os.File, args ...string) (string, string) {
	t.Helper()
	var got bytes.Buffer
	done := make(chan struct{})
	if master != nil {
		go func() {
			defer close(done)
			io.Copy(&got, master) // until the terminal side is closed (EIO)
		}()
	}
	var stdout output
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := Run(ctx, append([]string{"candlecassette", "import"}, args...), &stdout, stderr)
	stderr.Close()
	if master != nil {
		<-done
		master.Close()
	} else {
		b, _ := os.ReadFile(stderr.Name())
		got.Write(b)
	}
	if err != nil {
		t.Fatalf("import: %v\n%s", err, &got)
	}
	return stdout.String(), got.String()
}

// TestImportDrawsABarOnATerminalAndLinesOtherwise: with stderr on a
// terminal the import draws schollz/progressbar's bar over the bytes of
// all files (redrawn in place with \r, no per-file lines); on a file it
// prints one line per file and no bar; --no-progress prints the lines on
// a terminal too. The summary goes to stdout either way.
func TestImportDrawsABarOnATerminalAndLinesOtherwise(t *testing.T) {
	files := []string{
		"../../../shared/data/binance-spot-BTCUSDT-1m-2024-01.csv.gz",
		"../../../shared/data/binance-spot-ETHUSDT-1m-2024-01.csv.gz",
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("shared data: %v", err)
		}
	}
	lines := []string{
		"[1/2] " + files[0] + ": 44641 candles BTCUSDT 1m 2024-01-01T00:00:00Z .. 2024-02-01T00:00:00Z\n",
		"[2/2] " + files[1] + ": 44641 candles ETHUSDT 1m 2024-01-01T00:00:00Z .. 2024-02-01T00:00:00Z\n",
	}
	summary := "imported 89282 candles from 2 files"
	dir := t.TempDir()
	args := func(name string, extra ...string) []string {
		return append(append([]string{"--cassette", filepath.Join(dir, name), "--exchange", "binance_spot"}, extra...), files...)
	}

	t.Run("terminal", func(t *testing.T) {
		master, tty := openPTY(t)
		out, term := importOn(t, tty, master, args("tty.cassette")...)
		if !strings.Contains(out, summary) {
			t.Fatalf("stdout %q lacks the summary", out)
		}
		// The bar: its description, a percentage, byte counts of the
		// 1.6 MB given, redrawn in place; no per-file lines.
		for _, want := range []string{"\rimport ", "% |", "/1.6 MB"} {
			if !strings.Contains(term, want) {
				t.Fatalf("the terminal got no %q:\n%q", want, term)
			}
		}
		if strings.Contains(term, "[1/2]") || strings.Contains(term, "\n") {
			t.Fatalf("per-file lines on a terminal:\n%q", term)
		}
	})
	t.Run("file", func(t *testing.T) {
		f, err := os.Create(filepath.Join(dir, "stderr.log"))
		if err != nil {
			t.Fatal(err)
		}
		out, log := importOn(t, f, nil, args("file.cassette")...)
		if !strings.Contains(out, summary) || log != lines[0]+lines[1] {
			t.Fatalf("stdout %q\nstderr %q, want exactly\n%q", out, log, lines[0]+lines[1])
		}
	})
	t.Run("terminal with --no-progress", func(t *testing.T) {
		master, tty := openPTY(t)
		_, term := importOn(t, tty, master, args("plain.cassette", "--no-progress")...)
		// The terminal turns \n into \r\n.
		if want := strings.ReplaceAll(lines[0]+lines[1], "\n", "\r\n"); term != want {
			t.Fatalf("the terminal got %q, want exactly %q", term, want)
		}
	})
}
