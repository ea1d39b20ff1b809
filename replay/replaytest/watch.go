package replaytest

import (
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

// A Candler turns one pushed frame (its WS message type and bytes) into
// the candle it carries, making the caller's own checks on the frame
// (shape, symbol, interval) on the way.
type Candler func(typ int, frame []byte) cc.Candle

// WatchClose reads pushes for up to 10 s until the first candle pushed in
// progress is pushed closed, and fails the test unless it saw both. It
// returns that candle's open time.
func (w *WS) WatchClose(candle Candler) (open int64) {
	w.t.Helper()
	sawOpen, sawFinal := false, false
	for deadline := time.Now().Add(10 * time.Second); !sawFinal && time.Now().Before(deadline); {
		c := candle(w.Read(5 * time.Second))
		if !c.Closed && !sawOpen {
			sawOpen, open = true, c.OpenTime
		} else if c.Closed && sawOpen && c.OpenTime == open {
			sawFinal = true
		}
	}
	if !sawOpen || !sawFinal {
		w.t.Fatalf("in progress %v, final %v", sawOpen, sawFinal)
	}
	return open
}

// FollowCandle reads pushes for up to 10 s until one is for the candle
// step milliseconds after the first one pushed, and fails the test if
// none comes. It returns the last state pushed for the first candle, which
// should be its final one.
func (w *WS) FollowCandle(step int64, candle Candler) cc.Candle {
	w.t.Helper()
	var first cc.Candle
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		c := candle(w.Read(5 * time.Second))
		switch {
		case first.OpenTime == 0 || c.OpenTime == first.OpenTime:
			first = c
		case c.OpenTime == first.OpenTime+step:
			return first
		}
	}
	w.t.Fatal("no push for the next candle")
	return first
}

// ShapedCandles is a Candler for s's plugin: every frame must have the
// shape of testdata/golden (keys in any order) and decode (DecodeFrame at path) to an update,
// whose candle it returns.
func (s *Server) ShapedCandles(t testing.TB, path, golden string) Candler {
	return func(_ int, frame []byte) cc.Candle {
		t.Helper()
		if err := SameShape(golden, frame, KeysAnyOrder); err != nil {
			t.Fatalf("push: %v", err)
		}
		us, err := s.Plugin.DecodeFrame(path, frame)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) == 0 {
			t.Fatalf("no update in %s", frame)
		}
		return us[0].Candle
	}
}
