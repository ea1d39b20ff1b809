package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/compat/compattest"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// The dashboard at /__admin/ui, in Debian's chromium driven by chromedp,
// against an in-process server replaying the committed example cassette
// (BTCUSDT 1m for 2024-03-01 00:00-03:20 UTC, filled in synthetically
// around it).

// ArtifactsEnv names the directory screenshots go to; unset, they go to
// compat/ui/artifacts (gitignored).
const ArtifactsEnv = "CANDLECASSETTE_UI_ARTIFACTS"

var cassette = filepath.Join(compattest.RepoRoot(), "cassettes", "testdata", "binance_spot.cassette")

// wait bounds every wait on the page: generous, for a busy 2-core machine.
const wait = 90 * time.Second

// chromium finds the browser, or skips the test outside CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium")
	}
	t.Skip("no chromium on PATH (apt-get install chromium)")
	return ""
}

// page is one browser tab on the dashboard, with what it logged and
// every URL it requested.
type page struct {
	t   *testing.T
	ctx context.Context
	srv string // host:port of the server under test

	mu        sync.Mutex
	requests  []string
	statuses  map[string]int64 // by URL path, the last status
	problems  []string         // console errors and exceptions
	allowHTTP func(path string, status int64) bool
}

func newPage(t *testing.T, srvURL string, allowHTTP func(path string, status int64) bool) *page {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1280, 1400),
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run as root with its sandbox
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		acancel()
	})
	u, _ := url.Parse(srvURL)
	p := &page{t: t, ctx: ctx, srv: u.Host, statuses: map[string]int64{}, allowHTTP: allowHTTP}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}
	if err := chromedp.Listen(ctx, p.event); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *page) event(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
	case *network.EventResponseReceived:
		if u, err := url.Parse(ev.Response.URL); err == nil {
			p.statuses[u.Path] = ev.Response.Status
			if ev.Response.Status >= 400 && (p.allowHTTP == nil || !p.allowHTTP(u.Path, ev.Response.Status)) {
				p.problems = append(p.problems, fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL))
			}
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p.problems = append(p.problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.problems = append(p.problems, "exception: "+msg)
	case *log.EventEntryAdded:
		// A failed load is reported here too; the response handler
		// above judges those (source "network").
		if e := ev.Entry; e.Level == log.EntryLevelError && e.Source != log.EntrySourceNetwork {
			p.problems = append(p.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	}
}

// check fails the test for a console error, an exception, an HTTP error
// not allowed, or a request that left the server.
func (p *page) check() {
	p.t.Helper()
	// A value the page failed to format shows as one of these. (Read
	// before taking p.mu: the browser's events wait on it.)
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`)); err != nil {
		p.t.Errorf("reading the page's text: %v", err)
	} else {
		for _, bad := range []string{"[object", "undefined", "NaN"} {
			if i := strings.Index(text, bad); i >= 0 {
				p.t.Errorf("the page shows %q: ...%s...", bad, text[max(0, i-80):min(len(text), i+80)])
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.problems {
		p.t.Errorf("page: %s", pr)
	}
	if len(p.requests) == 0 {
		p.t.Error("no request seen: the network listener saw nothing")
	}
	for _, r := range p.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && (u.Scheme != "http" || u.Host != p.srv)) {
			p.t.Errorf("the page requested %s, which is not the server under test (%s)", r, p.srv)
		}
	}
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

// until waits for the JS expression to be true.
func (p *page) until(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(wait), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.fail(what, err)
	}
}

func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fail("evaluating "+expr, err)
	}
	return v
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	p.screenshot("failure-" + p.t.Name())
	text := evalText(p)
	p.t.Fatalf("%s: %v\npage state: %s", what, err, text)
}

func evalText(p *page) string {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('state').textContent + ' | ' +
		document.getElementById('chart-error').textContent + ' | ' + document.getElementById('login-error').textContent`))
	return s
}

// screenshot writes the page as name.png to the artifacts directory and
// returns its path.
func (p *page) screenshot(name string) string {
	p.t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Logf("screenshot: %v", err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

func startServer(t *testing.T, token string) *replay.Server {
	t.Helper()
	s, err := replay.Start(replay.Options{Cassette: cassette, Serve: serve.Options{AdminToken: token}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}

func getJSON(t *testing.T, u, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

type uiCandle struct {
	Time   int64  `json:"time"`
	Open   string `json:"open"`
	High   string `json:"high"`
	Low    string `json:"low"`
	Close  string `json:"close"`
	Volume string `json:"volume"`
	Closed bool   `json:"closed"`
	Source string `json:"source"`
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		t.Fatalf("not a number: %v", v)
	}
	return f
}

// klines is Binance's own REST answer for [start, end).
func klines(t *testing.T, base string, start, end int64) [][]any {
	t.Helper()
	var rows [][]any
	getJSON(t, fmt.Sprintf("%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d&limit=1000", base, start, end-1), "", &rows)
	return rows
}

func sameCandles(t *testing.T, got []uiCandle, rows [][]any) {
	t.Helper()
	if len(got) != len(rows) {
		t.Fatalf("the chart has %d candles, the klines route %d for the same window", len(got), len(rows))
	}
	for i, c := range got {
		k := rows[i]
		if int64(num(t, k[0])) != c.Time || num(t, k[1]) != num(t, c.Open) || num(t, k[2]) != num(t, c.High) ||
			num(t, k[3]) != num(t, c.Low) || num(t, k[4]) != num(t, c.Close) || num(t, k[5]) != num(t, c.Volume) {
			t.Fatalf("candle %d: chart %+v, klines %v", i, c, k)
		}
	}
}

// chartBar is a bar of the chart's candlestick series as the charting
// library gives it back (series.data()): what it draws.
type chartBar struct {
	Time  int64   `json:"time"` // Unix seconds
	Open  float64 `json:"open"`
	High  float64 `json:"high"`
	Low   float64 `json:"low"`
	Close float64 `json:"close"`
	Color string  `json:"color"`
}

// sourceColors are app.js's COLORS: up and down candles by source.
var sourceColors = map[string][2]string{"index": {"#26a69a", "#ef5350"}, "synthetic": {"#7b8cde", "#c17ac9"}}

func chartBars(p *page) []chartBar { return evalJS[[]chartBar](p, `window.ccDashboard.bars()`) }

// sameBars checks that the chart's series holds the klines route's
// candles for the same window, each in the colour of its source.
func sameBars(t *testing.T, bars []chartBar, rows [][]any, source func(ms int64) string) {
	t.Helper()
	if len(bars) != len(rows) {
		t.Fatalf("the chart's series holds %d bars, the klines route answers %d for the same window", len(bars), len(rows))
	}
	for i, b := range bars {
		k := rows[i]
		ms := int64(num(t, k[0]))
		if b.Time*1000 != ms || b.Open != num(t, k[1]) || b.High != num(t, k[2]) || b.Low != num(t, k[3]) || b.Close != num(t, k[4]) {
			t.Fatalf("bar %d: chart %+v, klines %v", i, b, k)
		}
		cols := sourceColors[source(ms)]
		want := cols[0]
		if b.Close < b.Open {
			want = cols[1]
		}
		if b.Color != want {
			t.Fatalf("bar %d at %d (%s): colour %s, want %s", i, ms, source(ms), b.Color, want)
		}
	}
}

type chartMarker struct {
	Time int64  `json:"time"` // Unix seconds
	Text string `json:"text"`
}

func chartMarkers(p *page) []chartMarker {
	return evalJS[[]chartMarker](p, `window.ccDashboard.markers()`)
}

// pixels counts the chart canvases' pixels in the colours of recorded
// and synthetic candles (app.js COLORS), and the pixels drawn at all.
const pixelsJS = `(() => {
  const want = { index: [[0x26,0xa6,0x9a],[0xef,0x53,0x50]], synthetic: [[0x7b,0x8c,0xde],[0xc1,0x7a,0xc9]] };
  const out = { index: 0, synthetic: 0, painted: 0, canvases: 0 };
  for (const c of document.querySelectorAll('#chart canvas')) {
    if (!c.width || !c.height) continue;
    out.canvases++;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i+3] === 0) continue;
      const [r, g, b] = [d[i], d[i+1], d[i+2]];
      if (r < 250 || g < 250 || b < 250) out.painted++;
      for (const [k, cols] of Object.entries(want))
        for (const [cr, cg, cb] of cols)
          if (Math.abs(r-cr) <= 2 && Math.abs(g-cg) <= 2 && Math.abs(b-cb) <= 2) out[k]++;
    }
  }
  return out;
})()`

type pixelCount struct {
	Index     int `json:"index"`
	Synthetic int `json:"synthetic"`
	Painted   int `json:"painted"`
	Canvases  int `json:"canvases"`
}

func TestDashboardShowsTheMarketItsCoverageAndAppliesConditions(t *testing.T) {
	s := startServer(t, "")
	p := newPage(t, s.URL(), func(path string, status int64) bool {
		// The refused changes below are answered 400, on purpose.
		refused := status == http.StatusBadRequest && (strings.HasSuffix(path, "/conditions") || strings.HasSuffix(path, "/limits"))
		return refused
	})
	p.do("opening the dashboard", chromedp.Navigate(s.URL()+"/__admin/ui"))

	// The live chart: the newest 300 candles up to the market's now.
	p.until("the chart's first data", `document.getElementById('chart').dataset.count === '300' && window.ccDashboard.refreshes > 0`)
	// The API's answer and the chart's series, read at once (a refresh in
	// between may move the window).
	both := evalJS[struct {
		Candles []uiCandle `json:"candles"`
		Bars    []chartBar `json:"bars"`
	}](p, `({ candles: window.ccDashboard.candles, bars: window.ccDashboard.bars() })`)
	live := both.Candles
	if len(live) != 300 {
		t.Fatalf("live chart: %d candles", len(live))
	}
	// Every closed candle is the klines route's (the last may be in progress),
	// in the API's answer and in the chart's series.
	closed := live[:len(live)-1]
	rows := klines(t, s.URL(), closed[0].Time, closed[len(closed)-1].Time+60_000)
	sameCandles(t, closed, rows)
	bars := both.Bars
	if len(bars) != len(live) || bars[0].Time*1000 != live[0].Time {
		t.Fatalf("the chart's series: %d bars from %d, the API's answer %d from %d", len(bars), bars[0].Time, len(live), live[0].Time)
	}
	sameBars(t, bars[:len(bars)-1], rows, func(int64) string { return "synthetic" }) // the live end is past the recording

	// Live: on the 1s interval a new candle shows up within seconds.
	p.do("picking 1s", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('interval');
		s.value = '1s'; s.dispatchEvent(new Event('change')); })()`))
	p.until("the 1s chart", `document.getElementById('chart').dataset.interval === '1s' && window.ccDashboard.candles.length === 300`)
	first := evalJS[string](p, `document.getElementById('chart').dataset.last`)
	p.until("a newer 1s candle", fmt.Sprintf(`Number(document.getElementById('chart').dataset.last) > %s`, first))
	p.do("back to 1m", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('interval');
		s.value = '1m'; s.dispatchEvent(new Event('change')); })()`))
	p.until("the 1m chart again", `document.getElementById('chart').dataset.interval === '1m'`)

	// The coverage timeline lists the recorded series; a click charts
	// the end of the recording, where recorded candles give way to
	// synthetic ones.
	var cov struct {
		Series []serve.SeriesCoverage `json:"series"`
	}
	getJSON(t, s.URL()+"/__admin/coverage", "", &cov)
	var run serve.CoverageRange
	for _, sc := range cov.Series {
		if sc.Symbol == "BTCUSDT" && sc.Interval == "1m" && len(sc.Ranges) == 1 {
			run = sc.Ranges[0]
		}
	}
	if run.Count != 200 {
		t.Fatalf("coverage of BTCUSDT 1m: %+v, want one run of 200", cov)
	}
	p.until("the coverage timeline", `document.querySelector('.cov-row[data-symbol="BTCUSDT"][data-interval="1m"] .run') !== null`)
	p.do("clicking the coverage row", chromedp.Click(chromedp.CSS(`.cov-row[data-symbol="BTCUSDT"][data-interval="1m"]`)))
	wantEnd := run.End + 60*60_000
	wantN := int((wantEnd - run.Start) / 60_000)
	p.until("the chart at the end of the recording", fmt.Sprintf(`document.getElementById('chart').dataset.end === '%d' && window.ccDashboard.candles.length === %d`, wantEnd, wantN))
	got := evalJS[[]uiCandle](p, `window.ccDashboard.candles`)
	if got[0].Time != run.Start {
		t.Fatalf("the chart starts at %d, want the recording's start %d", got[0].Time, run.Start)
	}
	sameCandles(t, got, klines(t, s.URL(), got[0].Time, wantEnd))
	var nIndex int
	for _, c := range got {
		want := "synthetic"
		if c.Time >= run.Start && c.Time < run.End {
			want = "index"
			nIndex++
		}
		if c.Source != want {
			t.Fatalf("candle at %d: source %s, want %s", c.Time, c.Source, want)
		}
	}
	if nIndex != 200 {
		t.Fatalf("%d recorded candles in the window, want 200", nIndex)
	}
	recorded := func(ms int64) string {
		if ms >= run.Start && ms < run.End {
			return "index"
		}
		return "synthetic"
	}
	sameBars(t, chartBars(p), klines(t, s.URL(), got[0].Time, wantEnd), recorded)
	// One marker where the recording ends and the synthetic market takes over.
	marks := chartMarkers(p)
	if len(marks) != 1 || marks[0].Time*1000 != run.End || marks[0].Text != "gap" {
		t.Fatalf("chart markers %+v, want one 'gap' at %d", marks, run.End/1000)
	}
	// The canvas shows both: recorded candles and synthetic ones in their
	// own colours.
	p.until("the chart drawn", `document.querySelectorAll('#chart canvas').length > 0`)
	var px pixelCount
	p.until("recorded and synthetic candles painted", `(() => { const o = `+pixelsJS+`; return o.index > 500 && o.synthetic > 100; })()`)
	px = evalJS[pixelCount](p, pixelsJS)
	if px.Painted < 5000 {
		t.Errorf("chart canvases: %+v: nearly blank", px)
	}
	t.Logf("chart pixels: %+v", px)
	p.screenshot("dashboard")

	// A latency change made in the form is in /__admin/conditions at once.
	p.do("setting the latency",
		chromedp.SetValue(chromedp.ID("cond-latency"), "150ms"),
		chromedp.SetValue(chromedp.ID("cond-jitter"), "5ms"),
		chromedp.Click(chromedp.ID("conditions-apply")))
	p.until("the conditions applied", `document.getElementById('conditions-ok').textContent === 'conditions applied'`)
	var cond struct {
		Latency string  `json:"latency"`
		Jitter  string  `json:"jitter"`
		Loss    float64 `json:"loss"`
	}
	getJSON(t, s.URL()+"/__admin/conditions", "", &cond)
	if cond.Latency != "150ms" || cond.Jitter != "5ms" {
		t.Fatalf("/__admin/conditions after the UI's change: %+v, want latency 150ms jitter 5ms", cond)
	}

	// A value the API refuses shows the API's message, and changes nothing.
	p.do("setting a bad loss",
		chromedp.SetValue(chromedp.ID("cond-loss"), "2"),
		chromedp.Click(chromedp.ID("conditions-apply")))
	p.until("the API's error shown", `document.getElementById('conditions-error').textContent.includes('loss must be between 0 and 1')`)
	getJSON(t, s.URL()+"/__admin/conditions", "", &cond)
	if cond.Loss != 0 || cond.Latency != "150ms" {
		t.Fatalf("conditions after a refused change: %+v", cond)
	}

	// An outage started from the page is in the schedule.
	p.do("starting an outage",
		chromedp.SetValue(chromedp.ID("outage-seconds"), "45"),
		chromedp.Click(chromedp.ID("outage-start")))
	p.until("the outage applied", `document.getElementById('conditions-ok').textContent.startsWith('outage of 45s')`)
	var sched struct {
		Outages []struct {
			At       string `json:"at"`
			Duration string `json:"duration"`
		} `json:"outages"`
	}
	getJSON(t, s.URL()+"/__admin/conditions", "", &sched)
	if len(sched.Outages) != 1 || sched.Outages[0].Duration != "45s" {
		t.Fatalf("outages after the UI's outage: %+v", sched)
	}
	if at, err := time.Parse(time.RFC3339Nano, sched.Outages[0].At); err != nil || time.Since(at).Abs() > time.Minute {
		t.Fatalf("outage at %q, want about now", sched.Outages[0].At)
	}
	// End it from the JSON editor, which PUTs what it holds.
	p.do("ending the outage",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#conditions-json').closest('details').open = true`),
		chromedp.SetValue(chromedp.ID("conditions-json"), `{"outages": []}`),
		chromedp.Click(chromedp.ID("conditions-json-apply")))
	p.until("the outage ended", `document.getElementById('conditions-ok').textContent === 'conditions applied' &&
		!document.getElementById('conditions-json').value.includes('"outages"')`)
	sched.Outages = nil
	getJSON(t, s.URL()+"/__admin/conditions", "", &sched)
	if len(sched.Outages) != 0 {
		t.Fatalf("outages after the JSON editor emptied them: %+v", sched)
	}

	// Rate limits: a change lands; a refused one shows the API's message.
	p.do("setting the REST limit",
		chromedp.SetValue(chromedp.ID("lim-rest-limit"), "777"),
		chromedp.Click(chromedp.ID("limits-apply")))
	p.until("the limits applied", `document.getElementById('limits-ok').textContent === 'limits applied'`)
	var lim struct {
		RESTLimit int `json:"rest_limit"`
	}
	getJSON(t, s.URL()+"/__admin/limits", "", &lim)
	if lim.RESTLimit != 777 {
		t.Fatalf("/__admin/limits after the UI's change: %+v", lim)
	}
	p.do("setting a bad REST period",
		chromedp.SetValue(chromedp.ID("lim-rest-period"), "soon"),
		chromedp.Click(chromedp.ID("limits-apply")))
	p.until("the limits error shown", `document.getElementById('limits-error').textContent.startsWith('limits: ')`)

	// The last requests, with status, source and the fault injected
	// (GET /__admin/requests).
	requestLog(t, p, s.URL())
	// The error it injected is counted among the faults, by kind.
	faults := func(want string) string {
		return `[...document.querySelectorAll('#status dt')].some((dt) => dt.textContent === 'faults injected' && dt.nextElementSibling.textContent === '` + want + `')`
	}
	p.until("the fault counted", faults("errors 1"))
	// So is a protocol fault (counted by kind and route): a stale book
	// snapshot.
	putConditions(t, s.URL(), `{"stale_snapshot":"3s"}`)
	if code := httpGet(t, s.URL()+"/api/v3/depth?symbol=BTCUSDT&limit=5"); code != 200 {
		t.Fatalf("depth: %d", code)
	}
	putConditions(t, s.URL(), `{"stale_snapshot":null}`)
	p.until("the protocol fault counted", faults("errors 1, stale snapshot 1"))

	// The usage table shows this test's klines requests' client.
	p.until("usage per client", `[...document.querySelectorAll('#usage tbody td')].some((td) => td.textContent === '127.0.0.1')`)

	// Disconnect all closes a live WS connection; the page shows it in
	// the connections first, and how many it closed after.
	ws, _, err := websocket.DefaultDialer.Dial(s.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	p.until("the WS connection and its subscription shown", `(() => {
		const dd = (k) => { const dt = [...document.querySelectorAll('#status dt')].find((dt) => dt.textContent === k); return dt && dt.nextElementSibling.textContent; };
		return dd('WS connections') === '1' && dd('WS subscriptions') === '1';
	})()`)
	p.do("disconnecting all", chromedp.Click(chromedp.ID("disconnect")))
	p.until("the disconnect's answer", `document.getElementById('actions-result').textContent === 'closed 1 WS connection(s)'`)
	ws.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break // closed by the server
		}
	}

	// Reset forgets the usage.
	p.do("resetting", chromedp.Click(chromedp.ID("reset")))
	p.until("the reset's answer", `document.getElementById('actions-result').textContent === 'counters, usage and bans reset'`)
	var usage struct {
		Clients []any `json:"clients"`
	}
	getJSON(t, s.URL()+"/__admin/limits/usage", "", &usage)
	if len(usage.Clients) != 0 {
		t.Fatalf("usage after the page's reset: %+v", usage)
	}
	p.check()
}

func TestDashboardAsksForTheAdminToken(t *testing.T) {
	s := startServer(t, "s3cret")
	p := newPage(t, s.URL(), func(path string, status int64) bool {
		return status == http.StatusUnauthorized && strings.HasPrefix(path, "/__admin/")
	})
	p.do("opening the dashboard", chromedp.Navigate(s.URL()+"/__admin/ui"))
	p.until("the login form", `!document.getElementById('login').hidden && document.getElementById('app').hidden`)

	p.do("a wrong token",
		chromedp.SetValue(chromedp.ID("token"), "guess"),
		chromedp.Click(chromedp.ID("login-submit")))
	p.until("the refusal shown", `document.getElementById('login-error').textContent.includes('refused this token')`)
	if n := evalJS[string](p, `document.getElementById('chart').dataset.count`); n != "0" {
		t.Fatalf("chart with a wrong token: %s candles", n)
	}
	p.screenshot("login-refused")

	p.do("the right token",
		chromedp.SetValue(chromedp.ID("token"), "s3cret"),
		chromedp.Click(chromedp.ID("login-submit")))
	p.until("the data", `document.getElementById('login').hidden && Number(document.getElementById('chart').dataset.count) > 0`)
	if tok := evalJS[string](p, `sessionStorage.getItem('candlecassette.adminToken')`); tok != "s3cret" {
		t.Fatalf("token kept: %q", tok)
	}
	p.screenshot("login-accepted")
	p.check()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.statuses["/__admin/market"] != 200 {
		t.Errorf("last /__admin/market status %d, want 200", p.statuses["/__admin/market"])
	}
}

// readmeShot writes docs/ui.png: the dashboard at a README's width.
func readmeShot(t *testing.T, p *page) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, wait)
	defer cancel()
	n := evalJS[int](p, `window.ccDashboard.refreshes`)
	p.do("a README-sized window", chromedp.EmulateViewport(1200, 1020))
	p.until("a refresh at that size", fmt.Sprintf(`window.ccDashboard.refreshes > %d`, n+1))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	p.do("the window back", chromedp.ResetViewport())
	path := filepath.Join(compattest.RepoRoot(), "docs", "ui.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("README screenshot: %s", path)
}

// requestLog checks the page's table of the last requests against
// GET /__admin/requests: a klines request answered normally, and one the
// network simulation failed, with its fault.
func requestLog(t *testing.T, p *page, base string) {
	t.Helper()
	resp, err := http.Get(base + "/__admin/requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /__admin/requests: %d", resp.StatusCode)
	}
	put := func(body string) { putConditions(t, base, body) }
	put(`{"latency":"0s","jitter":"0s","error_rate":1}`)
	resp, err = http.Get(base + "/api/v3/klines?symbol=ETHUSDT&interval=5m&limit=3")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	put(`{"error_rate":0}`)
	if resp.StatusCode < 500 {
		t.Fatalf("klines under error_rate 1: %d", resp.StatusCode)
	}
	p.until("the failed request in the table", fmt.Sprintf(`[...document.querySelectorAll('#requests tbody tr')].some((tr) => {
		const td = [...tr.children].map((c) => c.textContent);
		return td[2].startsWith('/api/v3/klines?') && td[2].includes('ETHUSDT') && td[3] === '%d' && td[5] !== '' && tr.className === 'fail';
	})`, resp.StatusCode))
	p.until("a served request in the table", `[...document.querySelectorAll('#requests tbody tr')].some((tr) => {
		const td = [...tr.children].map((c) => c.textContent);
		return td[2].startsWith('/api/v3/klines?') && td[3] === '200' && ['exact', 'index', 'synthetic'].includes(td[4]);
	})`)
}

// TestDashboardShowsRecordingGaps: a cassette whose BTCUSDT 1m recording
// has a hole in it (the example's 200 candles less the 81st to the 120th).
// The coverage row shows two runs and one gap; clicked, the chart holds
// the klines route's candles for the whole recording and an hour past it,
// the recorded ones and the synthetic fill of the hole and after each in
// its colour, with markers where the recording stops and resumes.
func TestDashboardShowsRecordingGaps(t *testing.T) {
	src, err := cassettes.Open(cassette, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	all, err := src.Candles("BTCUSDT", cc.Interval1m, 0, math.MaxInt64)
	src.Close()
	if err != nil || len(all) != 200 {
		t.Fatalf("the example's BTCUSDT 1m: %d candles, %v", len(all), err)
	}
	const holeFrom, holeTo = 80, 120
	path := filepath.Join(t.TempDir(), "gap.cassette")
	c, err := cassettes.Open(path, 0o644, &cassettes.Options{Exchange: "binance_spot", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	kept := append(append([]cc.Candle(nil), all[:holeFrom]...), all[holeTo:]...)
	if err := c.AddCandles(cassettes.Series{Symbol: "BTCUSDT", Interval: cc.Interval1m, Candles: kept}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	t0, end := all[0].OpenTime, all[len(all)-1].OpenTime+60_000
	runs := [][2]int64{{t0, t0 + holeFrom*60_000}, {t0 + holeTo*60_000, end}}
	// The market's now a day after the recording: the window clicked is
	// history, the same at every time of day.
	s, err := replay.Start(replay.Options{Cassette: path, ClockMode: time.UnixMilli(end + 86_400_000).UTC().Format(time.RFC3339)}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.Close(ctx)
	})

	p := newPage(t, s.URL(), nil)
	p.do("opening the dashboard", chromedp.Navigate(s.URL()+"/__admin/ui"))
	row := `.cov-row[data-symbol="BTCUSDT"][data-interval="1m"]`
	p.until("two recorded runs in the coverage row", `document.querySelectorAll('`+row+` .run').length === 2`)
	if txt := evalJS[string](p, `document.querySelector('`+row+`').textContent`); !strings.Contains(txt, "160 candles, 1 gap") {
		t.Errorf("coverage row: %q, want 160 candles and 1 gap", txt)
	}
	// The runs sit where the recording is: 80/200 of the bar, a hole, 80/200.
	widths := evalJS[[]string](p, `[...document.querySelectorAll('`+row+` .run')].map((r) => r.style.left + ' ' + r.style.width)`)
	if len(widths) != 2 || widths[0] != "0% 40%" || widths[1] != "60% 40%" {
		t.Errorf("runs drawn at %q, want 0%% 40%% and 60%% 40%%", widths)
	}

	p.do("clicking the coverage row", chromedp.Click(chromedp.CSS(row)))
	wantEnd := end + 60*60_000
	wantN := int((wantEnd - t0) / 60_000)
	p.until("the chart of the whole recording", fmt.Sprintf(`document.getElementById('chart').dataset.end === '%d' && window.ccDashboard.bars().length === %d`, wantEnd, wantN))
	source := func(ms int64) string {
		for _, r := range runs {
			if ms >= r[0] && ms < r[1] {
				return "index"
			}
		}
		return "synthetic"
	}
	sameBars(t, chartBars(p), klines(t, s.URL(), t0, wantEnd), source)
	got := evalJS[[]uiCandle](p, `window.ccDashboard.candles`)
	for _, c := range got {
		if c.Source != source(c.Time) {
			t.Fatalf("the API's candle at %d: source %s, want %s", c.Time, c.Source, source(c.Time))
		}
	}
	marks := chartMarkers(p)
	want := []chartMarker{{runs[0][1] / 1000, "gap"}, {runs[1][0] / 1000, "recording"}, {runs[1][1] / 1000, "gap"}}
	if fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Errorf("chart markers %+v, want %+v", marks, want)
	}
	p.until("recorded and synthetic candles painted", `(() => { const o = `+pixelsJS+`; return o.index > 300 && o.synthetic > 300; })()`)
	t.Logf("chart pixels: %+v", evalJS[pixelCount](p, pixelsJS))
	if shot := p.screenshot("recording-gap"); os.Getenv("CANDLECASSETTE_UI_README_SHOT") != "" && shot != "" {
		readmeShot(t, p)
	}
	p.check()
}

// TestDashboardPicksAnExchange: on a server of two exchanges the page
// lists both; picking OKX charts OKX's pairs from /__admin/okx_spot/...,
// and a latency typed in then is OKX's alone.
func TestDashboardPicksAnExchange(t *testing.T) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC) // a pinned market time
	s, err := replay.Start(replay.Options{Exchanges: []string{"binance_spot", "okx_spot"}, Seed: 1,
		Clock: &cc.Clock{Base: base, Start: time.Now(), Speed: 1}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	p := newPage(t, s.URL(), nil)
	p.do("opening the dashboard", chromedp.Navigate(s.URL()+"/__admin/ui"))
	p.until("binance's chart", `document.getElementById('chart').dataset.exchange === 'binance_spot' && window.ccDashboard.bars().length === 300`)
	if ids := evalJS[[]string](p, `[...document.getElementById('exchange').options].map((o) => o.value)`); fmt.Sprint(ids) != "[binance_spot okx_spot]" {
		t.Fatalf("exchange picker: %v", ids)
	}
	p.do("picking okx_spot", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('exchange');
		s.value = 'okx_spot'; s.dispatchEvent(new Event('change')); })()`))
	p.until("OKX's chart", `document.getElementById('chart').dataset.exchange === 'okx_spot' &&
		document.getElementById('chart').dataset.symbol === 'BTC-USDT' && window.ccDashboard.bars().length === 300`)
	// The bars are OKX's answer for the window, not Binance's.
	var okx struct {
		Candles []uiCandle `json:"candles"`
	}
	// (Both read at once: a refresh in between may move the window.)
	shown := evalJS[struct {
		End  string     `json:"end"`
		Bars []chartBar `json:"bars"`
	}](p, `({ end: document.getElementById('chart').dataset.end, bars: window.ccDashboard.bars() })`)
	getJSON(t, s.URL()+"/__admin/okx_spot/candles?symbol=BTC-USDT&interval=1m&limit=300&end="+shown.End, "", &okx)
	bars := shown.Bars
	if len(okx.Candles) != 300 || bars[0].Time*1000 != okx.Candles[0].Time || bars[299].Time*1000 != okx.Candles[299].Time ||
		bars[150].Close != num(t, okx.Candles[150].Close) {
		t.Fatalf("OKX's chart %v…%v, /__admin/okx_spot/candles %d from %v", bars[0], bars[len(bars)-1], len(okx.Candles), okx.Candles[0])
	}

	p.do("setting OKX's latency",
		chromedp.SetValue(chromedp.ID("cond-latency"), "75ms"),
		chromedp.Click(chromedp.ID("conditions-apply")))
	p.until("the conditions applied", `document.getElementById('conditions-ok').textContent === 'conditions applied'`)
	var cond struct {
		Latency string `json:"latency"`
	}
	getJSON(t, s.URL()+"/__admin/okx_spot/conditions", "", &cond)
	if cond.Latency != "75ms" {
		t.Fatalf("okx_spot's latency %q, want 75ms", cond.Latency)
	}
	getJSON(t, s.URL()+"/__admin/binance_spot/conditions", "", &cond)
	if cond.Latency != "0s" {
		t.Fatalf("binance_spot's latency %q after OKX's change, want 0s", cond.Latency)
	}
	p.check()
}

// TestDashboardInRecordMode: recording, the page has no market of its own
// to chart and says so, and lists the requests it proxied, answered by
// the upstream.
func TestDashboardInRecordMode(t *testing.T) {
	up, err := replay.Start(replay.Options{Exchange: "binance_spot", Seed: 1,
		Clock: &cc.Clock{Base: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), Start: time.Now(), Speed: 1}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: filepath.Join(t.TempDir(), "rec.cassette"),
		UpstreamREST: up.URL(), UpstreamWS: up.WSURL()}, "127.0.0.1:0")
	if err != nil {
		up.Close(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rec.Close(ctx)
		up.Close(ctx)
	})
	var rows [][]any
	getJSON(t, rec.URL()+"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=7", "", &rows)
	if len(rows) != 7 {
		t.Fatalf("klines through the recorder: %d rows", len(rows))
	}
	p := newPage(t, rec.URL(), nil)
	p.do("opening the dashboard", chromedp.Navigate(rec.URL()+"/__admin/ui"))
	p.until("the record mode's page", `document.getElementById('mode').textContent === 'recording (no market view)' &&
		document.getElementById('chart-info').textContent === 'This mode serves no market of its own.' &&
		document.getElementById('coverage').textContent.includes('answers from the real exchange')`)
	p.until("the proxied request in the table", `[...document.querySelectorAll('#requests tbody tr')].some((tr) => {
		const td = [...tr.children].map((c) => c.textContent);
		return td[2].includes('/api/v3/klines?') && td[2].includes('limit=7') && td[3] === '200' && td[4] === 'upstream';
	})`)
	// A relayed WS connection is listed with where it goes; its streams
	// are the exchange's messages, which the proxy does not read.
	ws, _, err := websocket.DefaultDialer.Dial(rec.WSURL()+"/ws/btcusdt@kline_1m", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	p.until("the relayed connection in the table", fmt.Sprintf(`[...document.querySelectorAll('#conns tbody tr')].some((tr) => {
		const td = [...tr.children].map((c) => c.textContent);
		return td[0] === '/ws/btcusdt@kline_1m → ' + %q && td[1] === %q && td[3] === 'relayed: not known';
	})`, up.WSURL(), ws.LocalAddr().String()))
	if n := evalJS[int](p, `window.ccDashboard.bars().length`); n != 0 {
		t.Errorf("a chart of %d bars in record mode", n)
	}
	if h := evalJS[int](p, `document.getElementById('chart').offsetHeight + document.getElementById('symbol').offsetHeight`); h != 0 {
		t.Errorf("an empty chart and pair picker %d px high in record mode", h)
	}
	p.screenshot("record-mode")
	p.check()
}

// putConditions PUTs body to base's /__admin/conditions.
func putConditions(t *testing.T, base, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/__admin/conditions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT conditions %s: %v", body, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT conditions %s: %d", body, resp.StatusCode)
	}
}

// httpGet GETs u and returns the status.
func httpGet(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
