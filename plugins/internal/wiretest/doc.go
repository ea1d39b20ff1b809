// Package wiretest holds test helpers for exchange plugins: comparing the
// shape of a JSON payload (keys in order, value kinds) with a golden file
// taken from an exchange's documentation (one payload, or a set of paths
// with ShapesMatch/FieldsMatch), and starting a plugin's server on
// 127.0.0.1 with a virtual clock (FastClock, StillClock).
//
// It also records and replays a session (RoundTrip), checks for leaked
// goroutines (Main) and benchmarks a candles endpoint in process
// (BenchCandles).
//
// Everything here is safe for concurrent use by parallel tests; servers
// started here are closed when the test ends.
package wiretest
