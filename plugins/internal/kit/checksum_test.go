package kit_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/kit"
)

func TestCorruptChecksumChangesOnlyTheChecksum(t *testing.T) {
	corrupt := kit.CorruptChecksum("checksum")
	for _, tc := range []struct{ in, want string }{
		{`{"arg":{},"data":[{"asks":[],"checksum":-1234567890,"seqId":5}]}`, `{"arg":{},"data":[{"asks":[],"checksum":-1234567891,"seqId":5}]}`},
		{`{"checksum":3297447519,"timestamp":"x"}`, `{"checksum":3297447510,"timestamp":"x"}`},
		{`{"checksum": 9}`, `{"checksum": 0}`},
		{`{"checksum":"42"}`, `{"checksum":"43"}`},
		{`{"seqId":5}`, `{"seqId":5}`},
		{`{"checksum":null}`, `{"checksum":null}`},
	} {
		in := []byte(tc.in)
		if got := string(corrupt(in)); got != tc.want {
			t.Errorf("%s → %s, want %s", tc.in, got, tc.want)
		}
		if string(in) != tc.in {
			t.Errorf("the frame given was changed: %s", in)
		}
	}
}
