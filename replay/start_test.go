package replay_test

import (
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/candlecassette/candlecassette/replay"
)

func TestStartOnABusyAddressFailsCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opts := goleak.IgnoreCurrent()
	_, err = replay.Start(replay.Options{Cassette: exampleCassette}, ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Start on a busy address: %v", err)
	}
	goleak.VerifyNone(t, opts)
	// The cassette was closed too: a second replay may open it.
	srv := startReplay(t, replay.Options{Cassette: exampleCassette})
	if srv.Plugin().Name() != "binance_spot" {
		t.Fatal("wrong exchange")
	}
}
