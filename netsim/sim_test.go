package netsim_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/netsim"
)

var exchangeError = netsim.Response{
	Status: 500,
	Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
	Body:   []byte(`{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}`),
}

// newServer serves body through a Sim built from cfg.
func newServer(t *testing.T, seed uint64, cfg netsim.Config, body string) (*netsim.Sim, *httptest.Server) {
	t.Helper()
	sim, err := netsim.New(netsim.Options{
		Seed: seed, Config: cfg,
		Error: func(*http.Request) netsim.Response { return exchangeError },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	})))
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return sim, srv
}

// freshClient opens a new connection per request, so Go's transport never
// retries a dropped request on a reused connection behind our back.
func freshClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

func ms(d time.Duration) netsim.Duration { return netsim.Duration(d) }

// roundTrips fetches every url in turn, rounds times from each of workers
// goroutines, and returns the round trips per url. Interleaving the urls
// lets a busy machine slow them alike.
func roundTrips(t *testing.T, urls []string, rounds, workers int) [][]time.Duration {
	t.Helper()
	out := make([][]time.Duration, len(urls))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for i, url := range urls {
					start := time.Now()
					resp, err := http.Get(url)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					d := time.Since(start)
					mu.Lock()
					out[i] = append(out[i], d)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// trimmedMean is the mean of ds without its lowest and highest tenth: a
// scheduling hiccup on a busy machine does not move it, and for a latency
// symmetric around its mean it is that mean.
func trimmedMean(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	cut := len(ds) / 10
	ds = ds[cut : len(ds)-cut]
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func quantile(ds []time.Duration, q float64) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}

func TestMeanAddedLatencyIsWithin5msOfTheSetting(t *testing.T) {
	_, base := newServer(t, 1, netsim.Config{}, "ok")
	_, slow := newServer(t, 1, netsim.Config{Conditions: netsim.Conditions{Latency: ms(100 * time.Millisecond), Jitter: ms(10 * time.Millisecond)}}, "ok")
	rt := roundTrips(t, []string{slow.URL, base.URL}, 25, 8)
	added := trimmedMean(rt[0]) - trimmedMean(rt[1])
	t.Logf("baseline %v, with latency %v, added %v", trimmedMean(rt[1]), trimmedMean(rt[0]), added)
	if added < 95*time.Millisecond || added > 105*time.Millisecond {
		t.Errorf("mean added latency %v, want 100ms ± 5ms", added)
	}
}

func TestParetoLatencyIsHeavyTailed(t *testing.T) {
	_, slow := newServer(t, 3, netsim.Config{Conditions: netsim.Conditions{
		Latency: ms(20 * time.Millisecond), Jitter: ms(20 * time.Millisecond), LatencyDist: netsim.DistPareto,
	}}, "ok")
	rt := roundTrips(t, []string{slow.URL}, 25, 16)[0]
	// Lomax with shape 3 and mean 20 ms: median 10.4 ms, 95th percentile
	// 68.6 ms, on top of the 20 ms latency. A uniform ±20 ms would put
	// the 95th percentile 18 ms above the median.
	med, p95 := quantile(rt, 0.5), quantile(rt, 0.95)
	t.Logf("median %v, p95 %v", med, p95)
	// A busy machine shifts both; the spread between them is the tail.
	if med < 26*time.Millisecond || med > 50*time.Millisecond {
		t.Errorf("median %v, want about 30ms", med)
	}
	if p95-med < 35*time.Millisecond {
		t.Errorf("95th percentile %v is within 35ms of the median %v: no heavy tail", p95, med)
	}
}

// outcome fetches url once: the status and body, or "lost".
func outcome(c *http.Client, url string) (string, int, string) {
	resp, err := c.Get(url)
	if err != nil {
		return "lost", 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprint(resp.StatusCode), resp.StatusCode, string(b)
}

func TestErrorRateMatchesAndEveryErrorIsTheExchangesOwnBody(t *testing.T) {
	_, srv := newServer(t, 42, netsim.Config{Conditions: netsim.Conditions{ErrorRate: 0.3}}, "ok")
	const n = 2000
	errs := 0
	for i := range n {
		_, status, body := outcome(http.DefaultClient, srv.URL)
		switch status {
		case 200:
		case 500:
			errs++
			if body != string(exchangeError.Body) {
				t.Fatalf("request %d: error body %q is not the exchange's", i, body)
			}
		default:
			t.Fatalf("request %d: status %d", i, status)
		}
	}
	frac := float64(errs) / n
	sigma := math.Sqrt(0.3 * 0.7 / n)
	t.Logf("error fraction %.4f (3σ = %.4f)", frac, 3*sigma)
	if math.Abs(frac-0.3) > 3*sigma {
		t.Errorf("error fraction %.4f, want 0.3 ± %.4f", frac, 3*sigma)
	}
}

func sequence(t *testing.T, seed uint64, n int) []string {
	t.Helper()
	sim, srv := newServer(t, seed, netsim.Config{Conditions: netsim.Conditions{Loss: 0.2, ErrorRate: 0.2}}, "ok")
	c := freshClient(5 * time.Second)
	out := make([]string, n)
	for i := range out {
		out[i], _, _ = outcome(c, srv.URL)
	}
	// Reset restarts the sequence from the seed.
	sim.Reset()
	for i := range out {
		if got, _, _ := outcome(c, srv.URL); got != out[i] {
			t.Fatalf("after Reset, request %d: %s, first run %s", i, got, out[i])
		}
	}
	return out
}

func TestTheSameSeedReproducesTheSameFaultSequence(t *testing.T) {
	a, b, other := sequence(t, 7, 100), sequence(t, 7, 100), sequence(t, 8, 100)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("seed 7 gave two sequences:\n%v\n%v", a, b)
	}
	if strings.Join(a, ",") == strings.Join(other, ",") {
		t.Fatal("seeds 7 and 8 gave the same sequence")
	}
	kinds := map[string]int{}
	for _, s := range a {
		kinds[s]++
	}
	if kinds["lost"] == 0 || kinds["500"] == 0 || kinds["200"] == 0 {
		t.Errorf("sequence lacks an outcome: %v", kinds)
	}
}

func TestLossDropCutsTheConnectionWithoutAResponse(t *testing.T) {
	sim, srv := newServer(t, 1, netsim.Config{Conditions: netsim.Conditions{Loss: 1, LossMode: netsim.LossDrop}}, "ok")
	start := time.Now()
	_, err := freshClient(5 * time.Second).Get(srv.URL)
	if err == nil {
		t.Fatal("got a response from a dropped request")
	}
	if errors.Is(err, errTimeout(err)) || time.Since(start) > 2*time.Second {
		t.Fatalf("drop took %v (%v); want the connection cut at once", time.Since(start), err)
	}
	if st := sim.Stats(); st.Dropped != 1 || st.Requests != 1 {
		t.Errorf("stats %+v", st)
	}
}

func errTimeout(err error) error {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return errors.New("not a timeout")
}

func TestLossHangHoldsUntilTheClientGivesUpOrTheSimCloses(t *testing.T) {
	sim, srv := newServer(t, 1, netsim.Config{Conditions: netsim.Conditions{Loss: 1, LossMode: netsim.LossHang}}, "ok")
	start := time.Now()
	_, err := freshClient(300 * time.Millisecond).Get(srv.URL)
	if err == nil || !errors.Is(err, errTimeout(err)) {
		t.Fatalf("want a client timeout, got %v", err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("returned after %v, before the client's timeout", el)
	}
	done := make(chan error, 1)
	go func() {
		_, err := freshClient(0).Get(srv.URL)
		done <- err
	}()
	for sim.Stats().Hung < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	sim.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a hung request got a response on close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("closing the Sim did not release a hung request")
	}
}

func TestRouteOverridesApplyOnlyToTheirPaths(t *testing.T) {
	one := 1.0
	cfg := netsim.Config{Routes: []netsim.Route{{Path: "/api/v3/klines", ErrorRate: &one}}}
	_, srv := newServer(t, 1, cfg, "ok")
	for range 20 {
		if _, st, _ := outcome(http.DefaultClient, srv.URL+"/api/v3/klines"); st != 500 {
			t.Fatalf("klines: %d, want 500", st)
		}
		if _, st, _ := outcome(http.DefaultClient, srv.URL+"/api/v3/time"); st != 200 {
			t.Fatalf("time: %d, want 200", st)
		}
	}
}

func TestAnOutageWindowLosesRequestsUntilItEnds(t *testing.T) {
	cfg := netsim.Config{Outages: []netsim.Outage{{Duration: ms(time.Second)}}}
	sim, srv := newServer(t, 1, cfg, "ok")
	c := freshClient(5 * time.Second)
	if got, _, _ := outcome(c, srv.URL); got != "lost" {
		t.Fatalf("during the outage: %s, want lost", got)
	}
	time.Sleep(time.Until(time.Now().Add(1100 * time.Millisecond)))
	if got, _, _ := outcome(c, srv.URL); got != "200" {
		t.Fatalf("after the outage: %s, want 200", got)
	}
	if st := sim.Stats(); st.Outage != 1 {
		t.Errorf("outage count %d, want 1", st.Outage)
	}
}

func TestScheduledDisconnectsFireEveryPeriod(t *testing.T) {
	var calls atomic.Int64
	codes := make(chan int, 100)
	sim, err := netsim.New(netsim.Options{
		Config: netsim.Config{Disconnects: []netsim.Disconnect{{At: netsim.When{Offset: 50 * time.Millisecond}, Every: ms(100 * time.Millisecond), Code: 1001}}},
		Disconnect: func(code int, reason string) int {
			calls.Add(1)
			codes <- code
			return 2
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if calls.Load() < 3 {
		t.Fatalf("%d disconnects in 5s, want at least 3", calls.Load())
	}
	if c := <-codes; c != 1001 {
		t.Errorf("close code %d, want 1001", c)
	}
	st := sim.Stats()
	if st.Disconnects < 3 || st.Disconnected != 2*st.Disconnects {
		t.Errorf("stats %+v", st)
	}
	// Clearing the schedule stops it.
	sim.SetConfig(netsim.Config{})
	time.Sleep(50 * time.Millisecond)
	n := calls.Load()
	time.Sleep(300 * time.Millisecond)
	if calls.Load() != n {
		t.Errorf("disconnects went on after the schedule was cleared")
	}
}

func TestBandwidthCapSlowsTheBody(t *testing.T) {
	body := strings.Repeat("x", 4000)
	_, srv := newServer(t, 1, netsim.Config{Conditions: netsim.Conditions{Bandwidth: 20000}}, body)
	start := time.Now()
	_, st, got := outcome(http.DefaultClient, srv.URL)
	el := time.Since(start)
	if st != 200 || got != body {
		t.Fatalf("status %d, %d bytes", st, len(got))
	}
	if el < 150*time.Millisecond {
		t.Errorf("4000 bytes at 20000 B/s took %v, want about 200ms", el)
	}
}

func TestALinkDropsAbortsAndDelaysWSMessagesAtTheConfiguredRates(t *testing.T) {
	sim, err := netsim.New(netsim.Options{Seed: 5, Config: netsim.Config{Conditions: netsim.Conditions{
		Latency: ms(50 * time.Millisecond), Loss: 0.25, ErrorRate: 0.1, Bandwidth: 1000,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const n = 4000
	drops, aborts := 0, 0
	for range n {
		// A link per message: each is alone on its connection, so its due
		// time is its latency plus its own hold.
		at := time.Now()
		due, drop, abort := sim.Link("/ws").Schedule(500, at)
		switch {
		case drop:
			drops++
		case abort:
			aborts++
		default:
			if d := due.Sub(at); d != 550*time.Millisecond {
				t.Fatalf("due after %v, want 50ms latency + 500ms hold", d)
			}
		}
	}
	// Drops: 0.25; aborts: 0.1 of the rest (0.075 overall).
	if f, s := float64(drops)/n, math.Sqrt(0.25*0.75/n); math.Abs(f-0.25) > 3*s {
		t.Errorf("drop fraction %.3f", f)
	}
	if f, s := float64(aborts)/n, math.Sqrt(0.075*0.925/n); math.Abs(f-0.075) > 3*s {
		t.Errorf("abort fraction %.3f", f)
	}
	if st := sim.Stats(); st.WSMessages != n || st.WSDropped != int64(drops) || st.WSAborted != int64(aborts) {
		t.Errorf("stats %+v", st)
	}
}

func TestPatchChangesOnlyTheNamedFields(t *testing.T) {
	c := netsim.Config{Conditions: netsim.Conditions{Latency: ms(time.Second), Loss: 0.1}}
	if err := netsim.Patch(&c, []byte(`{"error_rate":0.5,"routes":[{"prefix":"/api/","loss":1}]}`)); err != nil {
		t.Fatal(err)
	}
	if c.Latency != ms(time.Second) || c.Loss != 0.1 || c.ErrorRate != 0.5 || len(c.Routes) != 1 || *c.Routes[0].Loss != 1 {
		t.Fatalf("after patch: %+v", c)
	}
	for _, bad := range []string{
		`{"latency":"fast"}`, `{"loss":1.5}`, `{"loss_mode":"explode"}`, `{"lateny":"1s"}`,
		`{"routes":[{"loss":1}]}`, `{"outages":[{"at":"1s"}]}`, `[1]`, `{"latency_dist":"normal"}`,
	} {
		before := c
		if err := netsim.Patch(&c, []byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
		if c.ErrorRate != before.ErrorRate || len(c.Routes) != 1 {
			t.Errorf("%s changed the config", bad)
		}
	}
	if _, err := netsim.ParseConfig([]byte(`{"latency":"100ms","jitter":"10ms","loss":0.05,"loss_mode":"drop","error_rate":0.1}`)); err != nil {
		t.Errorf("DESIGN.md's example: %v", err)
	}
}

func TestASlowdownWindowCapsBandwidthAndAddsLatencyUntilItEnds(t *testing.T) {
	body := strings.Repeat("y", 2000)
	cfg := netsim.Config{Slowdowns: []netsim.Slowdown{{Duration: ms(time.Second), Bandwidth: 10000, Latency: ms(100 * time.Millisecond)}}}
	sim, srv := newServer(t, 1, cfg, body)
	start := time.Now()
	if _, st, got := outcome(http.DefaultClient, srv.URL); st != 200 || got != body {
		t.Fatalf("status %d, %d bytes", st, len(got))
	}
	// 100 ms of latency plus 2000 bytes at 10000 B/s.
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("during the slowdown the request took %v, want about 300ms", el)
	}
	time.Sleep(time.Until(start.Add(1100 * time.Millisecond)))
	if _, st, got := outcome(http.DefaultClient, srv.URL); st != 200 || got != body {
		t.Fatalf("after the slowdown: status %d, %d bytes", st, len(got))
	}
	// Only the first request fell in the window.
	if st := sim.Stats(); st.Slowed != 1 || st.Throttled != 1 || st.Delayed != 1 {
		t.Errorf("stats %+v, want one request slowed, throttled and delayed", st)
	}
	var bad netsim.Config
	if err := netsim.Patch(&bad, []byte(`{"slowdowns":[{"at":"1s","duration":"1s"}]}`)); err == nil {
		t.Error("a slowdown that slows nothing was accepted")
	}
}
