package cassettes

import (
	"bytes"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// klinesInteraction is a recorded Binance klines page as the recorder
// stores it (body aside).
func klinesInteraction(body []byte) *Interaction {
	return &Interaction{Method: "GET", Path: "/api/v3/klines",
		Query:         "symbol=ETHUSDT&interval=5m&limit=500&startTime=1712345678000",
		MatchKey:      "GET /api/v3/klines?interval=5m&limit=500&startTime=1712345678000&symbol=ETHUSDT",
		RequestHeader: http.Header{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"}},
		Status:        200,
		ResponseHeader: http.Header{"Content-Type": {"application/json;charset=UTF-8"}, "Date": {"Thu, 05 Mar 2026 10:11:12 GMT"},
			"X-Mbx-Used-Weight": {"12"}, "X-Mbx-Used-Weight-1m": {"12"}, "Content-Length": {"81234"}},
		Body: body, Start: time.Unix(1772705472, 0).UTC(), Duration: 3 * time.Millisecond}
}

// TestRecordDictionary: interaction records name the static dictionary in
// their zstd frame and come back whole; records written without it (by
// earlier versions) still read; and the dictionary earns its keep on an
// interaction unlike the strings it was built from.
func TestRecordDictionary(t *testing.T) {
	ix := klinesInteraction([]byte(`[[1712345700000,"3301.10","3302.00"]]`))
	v := encodeInteraction(ix, nil)
	var h zstd.Header
	if err := h.Decode(v[1:]); err != nil {
		t.Fatal(err)
	}
	if h.DictionaryID != recordDictID {
		t.Fatalf("record names dictionary %#x, want %#x", h.DictionaryID, recordDictID)
	}
	got, err := decodeInteraction(nil, false, 7, v)
	if err != nil {
		t.Fatal(err)
	}
	if again := encodeInteraction(got, nil); !bytes.Equal(again, v) || !bytes.Equal(got.Body, ix.Body) ||
		!reflect.DeepEqual(got.ResponseHeader, ix.ResponseHeader) || got.MatchKey != ix.MatchKey {
		t.Fatalf("decoded %+v\nwant %+v", got, ix)
	}

	// The same record as the previous format wrote it: plain zstd.
	raw, err := decoder.DecodeAll(v[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	old := compress([]byte{kindInteraction}, raw)
	if err := h.Decode(old[1:]); err != nil || h.DictionaryID != 0 {
		t.Fatalf("plain record: dictionary %#x, %v", h.DictionaryID, err)
	}
	if got, err := decodeInteraction(nil, false, 7, old); err != nil || !bytes.Equal(encodeInteraction(got, nil), v) {
		t.Fatalf("plain record: %v", err)
	}
	if len(v) >= len(old)*3/4 {
		t.Errorf("with the dictionary %d bytes, without %d: want at least a quarter less", len(v), len(old))
	}

	// A frame naming a dictionary this build lacks is corrupt, not a panic.
	other, _ := zstd.NewWriter(nil, zstd.WithEncoderDictRaw(recordDictID+1, []byte("some other dictionary")))
	bad := other.EncodeAll(raw, []byte{kindInteraction})
	if _, err := decodeInteraction(nil, false, 7, bad); err == nil {
		t.Fatal("a record naming an unknown dictionary decoded")
	}
}

// TestRecordDictionaryIsStable: the dictionary's bytes are part of the
// format (records name it by ID only); this pins them.
func TestRecordDictionaryIsStable(t *testing.T) {
	if !bytes.Equal(recordDict, buildRecordDict()) {
		t.Fatal("buildRecordDict is not deterministic")
	}
	const wantLen, wantSum = 1857, 639508
	sum := 0
	for i, c := range recordDict {
		sum = (sum*31 + int(c) + i) % 1000003
	}
	if len(recordDict) != wantLen || sum != wantSum {
		t.Fatalf("recordDict changed (len %d, sum %d): records written with ID %#x would no longer read; give a new dictionary a new ID and keep the old one for reading",
			len(recordDict), sum, recordDictID)
	}
}
