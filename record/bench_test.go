package record_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/candlecassette/candlecassette/cassettes"
	_ "github.com/candlecassette/candlecassette/plugins/binance"
	"github.com/candlecassette/candlecassette/record"
	"github.com/candlecassette/candlecassette/replay"
	"github.com/candlecassette/candlecassette/serve"
)

// BenchmarkRecordKlines records 1000-row pages of 1m BTCUSDT klines from a
// synthetic Binance upstream through the proxy, one page per iteration
// (-benchtime=1000x records 1M candles). It reports the cassette's size
// over the raw traffic (target ≤ 0.10) and, as a rough figure, the
// latency the proxy adds at the median while the upstream computes every
// page (BenchmarkProxyLatency measures that without the upstream's work).
func BenchmarkRecordKlines(b *testing.B) {
	up, err := replay.Start(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer up.Close(context.Background())
	path := filepath.Join(b.TempDir(), "bench.cassette")
	if p := os.Getenv("BENCH_KEEP"); p != "" {
		path = p
	}
	srv, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: path, UpstreamREST: up.URL(), CassetteOptions: cassettes.Options{NoSync: os.Getenv("BENCH_NOSYNC") != ""}}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	fetch := func(u string) time.Duration {
		start := time.Now()
		resp, err := client.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != 200 || n < 1000 {
			b.Fatalf("GET %s: %d, %d bytes", u, resp.StatusCode, n)
		}
		return d
	}
	const start = int64(1_704_067_200_000) // 2024-01-01
	page := func(i int) string {
		return "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=" + strconv.FormatInt(start+int64(i)*1000*60_000, 10)
	}
	fetch(up.URL() + page(0)) // warm both connections
	fetch(srv.URL() + page(0))
	direct := make([]time.Duration, 0, b.N)
	proxied := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		direct = append(direct, fetch(up.URL()+page(i)))
		proxied = append(proxied, fetch(srv.URL()+page(i)))
	}
	b.StopTimer()
	if err := srv.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	fi, _ := os.Stat(path)
	m := c.Meta()
	cv, _ := c.Coverage("BTCUSDT", "1m")
	slices.Sort(direct)
	slices.Sort(proxied)
	p50 := proxied[len(proxied)/2] - direct[len(direct)/2]
	b.ReportMetric(float64(fi.Size())/float64(m.RawBytes), "size/raw")
	b.ReportMetric(float64(p50.Microseconds())/1000, "added-p50-ms")
	b.ReportMetric(float64(direct[len(direct)/2].Microseconds())/1000, "direct-p50-ms")
	b.ReportMetric(float64(cv.Total()), "candles")
	b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
	b.ReportMetric(float64(m.RawBytes)/1e6, "raw-MB")
	b.ReportMetric(float64(m.StoredBytes)/float64(m.RawBytes), "values/raw")
	c.Close()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var index int
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("candles")).ForEachBucket(func(k []byte) error {
			return tx.Bucket([]byte("candles")).Bucket(k).ForEach(func(_, v []byte) error { index += len(v); return nil })
		})
	})
	b.ReportMetric(float64(index)/float64(cv.Total()), "index-B/candle")
}

// BenchmarkProxyLatency measures the latency the recording proxy adds at
// the median (target < 0.3 ms): one realistic 1000-row klines page (from
// the synthetic market) is served from memory by a local upstream and
// fetched alternately directly and through the proxy, which records every
// answer as usual; the figure is the median of the proxied times minus the
// median of the direct ones.
func BenchmarkProxyLatency(b *testing.B) {
	syn, err := replay.Start(replay.Options{Exchange: "binance_spot", Serve: serve.Options{NoRateLimit: true}}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.Get(syn.URL() + "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	syn.Close(context.Background())
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(page)
	}))
	defer up.Close()
	srv, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: filepath.Join(b.TempDir(), "lat.cassette"), UpstreamREST: up.URL}, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	const path = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=1704067200000"
	fetch := func(base string) time.Duration {
		start := time.Now()
		resp, err := client.Get(base + path)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start)
	}
	for range 20 { // warm connections and the recorder
		fetch(up.URL)
		fetch(srv.URL())
	}
	direct := make([]time.Duration, 0, b.N)
	proxied := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		direct = append(direct, fetch(up.URL))
		proxied = append(proxied, fetch(srv.URL()))
	}
	b.StopTimer()
	slices.Sort(direct)
	slices.Sort(proxied)
	q := func(ds []time.Duration, f float64) float64 {
		return float64(ds[int(f*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(proxied, 0.5)-q(direct, 0.5), "added-p50-ms")
	b.ReportMetric(q(proxied, 0.99)-q(direct, 0.99), "added-p99-ms")
	b.ReportMetric(q(direct, 0.5), "direct-p50-ms")
}
