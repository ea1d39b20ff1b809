package bulk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zip"

	cc "github.com/candlecassette/candlecassette"
)

// ErrChecksum is a file whose SHA-256 is not the one its .CHECKSUM
// sidecar gives.
var ErrChecksum = errors.New("checksum mismatch")

// archiveName matches data.binance.vision kline file names:
// BTCUSDT-1m-2024-01.zip (monthly), BTCUSDT-1m-2024-01-15.zip (daily),
// BTCUSD_PERP-1h-2024-01.zip (COIN-M), also inside longer names.
var (
	archiveName = regexp.MustCompile(`(?:^|[^A-Za-z0-9])([A-Z0-9]+(?:_[A-Z0-9]+)?)-(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1mo|1M)-(\d{4}-\d{2}(?:-\d{2})?)`)
	looseName   = regexp.MustCompile(`(?:^|[^A-Za-z0-9])([A-Z0-9]+(?:_[A-Z0-9]+)?)-(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1mo|1M)(?:[-._]|$)`)
)

// NameInfo is what a kline file's name says.
type NameInfo struct {
	Symbol   string
	Interval cc.Interval
	Period   string // 2024-01 (monthly) or 2024-01-15 (daily); "" if the name has none
}

// ParseName reads symbol, interval and period from a Binance public-data
// file name (any directories and extensions are ignored).
func ParseName(path string) (NameInfo, bool) {
	base := filepath.Base(path)
	m := archiveName.FindStringSubmatch(base)
	if m == nil {
		m = looseName.FindStringSubmatch(base)
		if m == nil {
			return NameInfo{}, false
		}
		m = append(m, "")
	}
	iv := m[2]
	if iv == "1mo" {
		iv = "1M"
	}
	return NameInfo{Symbol: m[1], Interval: cc.Interval(iv), Period: m[3]}, true
}

// input is one file to import, opened as a stream of CSV/JSONL text.
type input struct {
	path string
	name string // for messages: path, or path!entry inside a zip
	r    io.Reader
	// hash is fed the file's raw bytes as r is read (nil: no sidecar);
	// want is the sidecar's digest.
	hash hash.Hash
	want string
	size int64
	// done closes what was opened.
	done func()
	// jsonl: the content is JSON lines.
	jsonl bool
}

// readChecksum reads path.CHECKSUM if there is one: "<sha256>  <name>".
func readChecksum(path string) (string, bool, error) {
	b, err := os.ReadFile(path + ".CHECKSUM")
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	fs := strings.Fields(string(b))
	if len(fs) < 1 || len(fs[0]) != 64 {
		return "", false, fmt.Errorf("%s.CHECKSUM: want \"<sha256>  <name>\"", path)
	}
	if _, err := hex.DecodeString(fs[0]); err != nil {
		return "", false, fmt.Errorf("%s.CHECKSUM: %q is not a hex SHA-256", path, fs[0])
	}
	if len(fs) >= 2 && fs[1] != filepath.Base(path) {
		return "", false, fmt.Errorf("%s.CHECKSUM names %s, not %s", path, fs[1], filepath.Base(path))
	}
	return strings.ToLower(fs[0]), true, nil
}

// countingReader counts bytes read (for progress).
type countingReader struct {
	r  io.Reader
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 && c.fn != nil {
		c.fn(int64(n))
	}
	return n, err
}

// openInput opens path as text: a .zip holding one .csv (or .jsonl), a
// .gz, or plain text. progress is told of raw bytes read.
func openInput(path string, forceJSONL bool, progress func(int64)) (*input, error) {
	want, has, err := readChecksum(path)
	if err != nil {
		return nil, &LineError{File: path, Err: err}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	in := &input{path: path, name: path, size: fi.Size(), want: want, done: func() {}}
	if has {
		in.hash = sha256.New()
	}
	lower := strings.ToLower(path)
	in.jsonl = forceJSONL || strings.HasSuffix(strings.TrimSuffix(strings.TrimSuffix(lower, ".gz"), ".zip"), ".jsonl") ||
		strings.HasSuffix(strings.TrimSuffix(lower, ".gz"), ".ndjson")
	switch {
	case strings.HasSuffix(lower, ".zip"):
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(int64(len(raw)))
		}
		if in.hash != nil {
			in.hash.Write(raw)
		}
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return nil, &LineError{File: path, Err: fmt.Errorf("not a readable zip archive: %w", err)}
		}
		var entry *zip.File
		for _, f := range zr.File {
			n := strings.ToLower(f.Name)
			if !f.FileInfo().IsDir() && (strings.HasSuffix(n, ".csv") || strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".txt")) {
				if entry != nil {
					return nil, &LineError{File: path, Err: fmt.Errorf("archive holds several data files (%s, %s); want one", entry.Name, f.Name)}
				}
				entry = f
			}
		}
		if entry == nil {
			return nil, &LineError{File: path, Err: errors.New("archive holds no .csv file")}
		}
		rc, err := entry.Open()
		if err != nil {
			return nil, &LineError{File: path, Err: fmt.Errorf("open %s in archive: %w", entry.Name, err)}
		}
		in.name = path + "!" + entry.Name
		in.jsonl = in.jsonl || strings.HasSuffix(strings.ToLower(entry.Name), ".jsonl")
		in.r, in.done = rc, func() { rc.Close() }
		return in, nil
	default:
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		var r io.Reader = &countingReader{r: f, fn: progress}
		if in.hash != nil {
			r = io.TeeReader(r, in.hash)
		}
		in.done = func() { f.Close() }
		if strings.HasSuffix(lower, ".gz") {
			zr, err := gzip.NewReader(r)
			if err != nil {
				f.Close()
				return nil, &LineError{File: path, Err: fmt.Errorf("not a readable gzip file: %w", err)}
			}
			r = zr
		}
		in.r = r
		return in, nil
	}
}

// verify checks the digest once the whole file was read.
func (in *input) verify() error {
	if in.hash == nil {
		return nil
	}
	// Whatever the parser left unread still counts.
	if _, err := io.Copy(io.Discard, in.r); err != nil {
		return &LineError{File: in.name, Err: err}
	}
	got := hex.EncodeToString(in.hash.Sum(nil))
	if got != in.want {
		return &LineError{File: in.path, Err: fmt.Errorf("%w: SHA-256 is %s, %s.CHECKSUM says %s; nothing of it was imported", ErrChecksum, got, filepath.Base(in.path), in.want)}
	}
	return nil
}
