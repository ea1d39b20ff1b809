package compattest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	cc "github.com/candlecassette/candlecassette"
)

// BinEnv names the environment variable that points at a prebuilt
// candlecassette binary; when it is empty the binary is built once per test
// process from this checkout.
const BinEnv = "CANDLECASSETTE_BIN"

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// sdkGoroutines are goroutines client libraries leave behind for a while
// after their connection closed: go-binance's keep-alive goroutine (one
// per WS connection, spot and futures) waits for its ticker
// (WebsocketTimeout, 60 s by default) before it notices.
var sdkGoroutines = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/adshao/go-binance/v2.keepAlive.func2"),
	goleak.IgnoreAnyFunction("github.com/adshao/go-binance/v2/futures.keepAlive.func2"),
}

// Main runs the tests of a package that uses the harness, removes what
// the harness built, and fails the run if a goroutine outlived the tests
// (goleak; the client libraries' own lingering goroutines and the shared
// HTTP client's idle connections, which belong to no server, excepted).
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	if programs.dir != "" {
		os.RemoveAll(programs.dir)
	}
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(sdkGoroutines...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// RepoRoot is the root of the candlecassette checkout this harness belongs to.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the path of the candlecassette binary: $CANDLECASSETTE_BIN,
// or one built from this checkout once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinEnv); p != "" {
		return p
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "candlecassette-compat-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "candlecassette")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/candlecassette")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/candlecassette: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// syncBuffer collects a process's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartBinary runs `candlecassette synth EXCHANGE --listen 127.0.0.1:0` until
// the test ends, then stops it with SIGTERM and fails the test unless it
// exits cleanly with status 0. It skips the test when the exchange is not
// registered.
func StartBinary(t testing.TB, exchange string, opts Options) *Server {
	if opts.Clock != nil {
		t.Fatalf("compattest: StartBinary has no virtual clock; run %s in-process (Start) for Options.Clock", exchange)
	}
	t.Helper()
	RequireExchange(t, exchange)
	args := []string{"synth", exchange, "--listen", "127.0.0.1:0", "--seed", strconv.FormatUint(opts.Seed, 10)}
	if len(opts.Pairs) > 0 {
		args = append(args, "--pairs", PairArg(opts.Pairs))
	}
	return StartCommand(t, exchange, args...)
}

// StartRecorder runs `candlecassette record EXCHANGE --cassette FILE` in
// front of upstream, like StartBinary. Stop it (Server.Stop) before reading
// the cassette: the recording is complete once it has exited.
func StartRecorder(t testing.TB, exchange string, upstream *Server, cassette string, extra ...string) *Server {
	t.Helper()
	RequireExchange(t, exchange)
	args := append([]string{"record", exchange, "--listen", "127.0.0.1:0", "--cassette", cassette,
		"--upstream-rest", upstream.URL, "--upstream-ws", upstream.WSURL}, extra...)
	return StartCommand(t, exchange, args...)
}

// StartReplay runs `candlecassette replay --cassette FILE`, like StartBinary;
// exchange only names the server.
func StartReplay(t testing.TB, exchange, cassette string, extra ...string) *Server {
	t.Helper()
	args := append([]string{"replay", "--cassette", cassette, "--listen", "127.0.0.1:0"}, extra...)
	return StartCommand(t, exchange, args...)
}

// StartCommand runs the binary with args, a serving command that prints
// `listening on http://127.0.0.1:PORT` first, and returns that server. When
// the test ends (or on Server.Stop) it gets SIGTERM, and the test fails
// unless it exits with status 0 within 15s and printed nothing more.
func StartCommand(t testing.TB, exchange string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	rest := &syncBuffer{}
	go func() {
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		if err == nil {
			lines <- strings.TrimSpace(line)
		}
		close(lines)
		io.Copy(rest, r) // until the process exits and closes stdout
		exited <- cmd.Wait()
	}()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				stopErr = err
				return
			}
			select {
			case err := <-exited:
				stopErr = err
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-exited
				stopErr = errors.New("did not exit within 15s of SIGTERM")
			}
			if stopErr != nil {
				stopErr = fmt.Errorf("%s: unclean shutdown on SIGTERM: %w\nstderr:\n%s", cmd, stopErr, stderr)
			} else if extra := rest.String(); extra != "" {
				stopErr = fmt.Errorf("%s: unexpected stdout after the listening line: %q", cmd, extra)
			}
		})
		return stopErr
	}
	var line string
	select {
	case line = <-lines:
	case <-time.After(60 * time.Second):
	}
	base, ok := strings.CutPrefix(line, "listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		err := stop()
		t.Fatalf("%s: want a first stdout line `listening on http://127.0.0.1:PORT`, got %q (%v)\nstderr:\n%s", cmd, line, err, stderr)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return &Server{Exchange: exchange, URL: base, WSURL: "ws" + strings.TrimPrefix(base, "http"), stop: stop}
}

// PairArg spells pairs the way --pairs takes them.
func PairArg(pairs []cc.Pair) string {
	var ps []string
	for _, p := range pairs {
		s := p.Name()
		if p.Price > 0 {
			s += ":" + strconv.FormatFloat(p.Price, 'f', -1, 64)
		}
		ps = append(ps, s)
	}
	return strings.Join(ps, ",")
}
