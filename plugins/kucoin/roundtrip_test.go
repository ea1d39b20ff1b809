package kucoin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// streams asks for a bullet, dials the endpoint it names and waits for a
// candle push on topic; it returns the endpoint.
func streams(t *testing.T, url, topic string) string {
	t.Helper()
	_, body := replaytest.Do(t, "POST", url+"/api/v1/bullet-public")
	var b struct {
		Data struct {
			Token           string
			InstanceServers []struct{ Endpoint string }
		}
	}
	if err := json.Unmarshal(body, &b); err != nil || len(b.Data.InstanceServers) == 0 {
		t.Fatalf("bullet: %v %s", err, body)
	}
	ep := b.Data.InstanceServers[0].Endpoint
	if !strings.HasPrefix(ep, "ws://"+strings.TrimPrefix(url, "http://")) {
		t.Fatalf("bullet names %s, not the server at %s", ep, url)
	}
	c := replaytest.Dial(t, ep+"?token="+b.Data.Token+"&connectId=rt")
	c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "topic": topic, "response": true})
	if !replaytest.ReadUntil(t, c, 20, func(f []byte) bool { return bytes.Contains(f, []byte(`"type":"message"`)) }) {
		t.Fatalf("no push on %s via %s", topic, ep)
	}
	c.Close()
	return ep
}

func TestRecordThenReplayOffline(t *testing.T) {
	from := time.Now().Add(-6 * time.Hour).Truncate(time.Hour)
	for _, tc := range []struct {
		name, candles, topic string
	}{
		{kucoin.SpotName, fmt.Sprintf("/api/v1/market/candles?symbol=BTC-USDT&type=1min&startAt=%d&endAt=%d", from.Unix(), from.Unix()+6000), "/market/candles:BTC-USDT_1min"},
		{kucoin.PerpetualName, fmt.Sprintf("/api/v1/kline/query?symbol=XBTUSDTM&granularity=1&from=%d&to=%d", from.UnixMilli(), from.UnixMilli()+6000000), "/contractMarket/limitCandle:XBTUSDTM_1min"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := []replaytest.Call{{Path: "/api/v3/currencies"}, {Path: "/api/v2/symbols"}, {Path: "/api/v1/contracts/active"}, {Path: tc.candles}}
			rec, rep, srv := replaytest.RoundTrip(t, tc.name, pairs, calls, func(t *testing.T, url string) { streams(t, url, tc.topic) })
			for i, c := range calls {
				if !bytes.Equal(rec[i], rep[i]) {
					t.Errorf("%s: replayed body differs:\n%.300s\n%.300s", c.Path, rep[i], rec[i])
				}
			}
			// A window never asked verbatim comes from the candle index.
			p := kucoin.Spot
			if tc.name == kucoin.PerpetualName {
				p = kucoin.Perpetual
			}
			req, _ := p.CandlesRequest(queryAt(p.Symbol(pairs[0]), from.Add(30*time.Minute), 10))
			_, body := replaytest.Get(t, srv.URL, req.URL.String())
			set, err := p.DecodeCandles(req, body)
			if err != nil || len(set.Candles) != 10 || set.Candles[0].OpenTime != from.Add(30*time.Minute).UnixMilli() {
				t.Fatalf("sub-window: %v %d candles %.200s", err, len(set.Candles), body)
			}
			whole, _ := p.DecodeCandles(mustReq(t, tc.candles), rec[3])
			for i, c := range set.Candles {
				w := whole.Candles[30+i]
				if c.OpenTime != w.OpenTime || c.Close.Cmp(w.Close) != 0 || c.Volume.Cmp(w.Volume) != 0 {
					t.Fatalf("sub-window candle %d: %+v, recorded %+v", i, c, w)
				}
			}
		})
	}
}
