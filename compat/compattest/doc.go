// Package compattest is the shared harness for real-client compatibility
// tests: it starts a candlecassette server for an exchange id (in-process
// through replay.Start, or the real binary built once per test process, as
// `synth`, as a `record` proxy in front of another server, or as a `replay`
// of a cassette),
// guards HTTP clients so that they can reach nothing but the loopback
// interface, and checks candle series for alignment, gaps and overlaps.
//
// Basics:
//
//	func TestMain(m *testing.M) { compattest.Main(m) }
//
//	func TestKlines(t *testing.T) {
//		srv := compattest.Start(t, "binance_spot", compattest.Options{})
//		client := somesdk.NewClient(...)
//		client.BaseURL = srv.URL
//		client.HTTPClient = compattest.HTTPClient(t)
//		...
//		compattest.CheckSeries(t, opens, cc.Interval1m)
//	}
//
// Caveats: Start and StartBinary skip the test (t.Skip) when the exchange id
// is not registered, so tests for exchanges still being written stay green.
// SDKs that keep their endpoints in package-level variables must not run
// such tests in parallel; SetVar restores a variable when the test ends.
package compattest
