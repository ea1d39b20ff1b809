package kucoin_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/candlecassette/candlecassette/plugins/kucoin"
	"github.com/candlecassette/candlecassette/replay/replaytest"
)

// dialKucoin opens a socket the way clients do: bullet, then the endpoint.
func dialKucoin(t *testing.T, srv *replaytest.Server) *websocket.Conn {
	t.Helper()
	_, body := replaytest.Do(t, "POST", srv.URL+"/api/v1/bullet-public")
	var bullet struct {
		Data struct {
			Token           string
			InstanceServers []struct{ Endpoint string }
		}
	}
	json.Unmarshal(body, &bullet)
	c := replaytest.Dial(t, bullet.Data.InstanceServers[0].Endpoint+"?token="+bullet.Data.Token)
	var m map[string]any
	c.ReadJSON(&m)
	if m["type"] != "welcome" {
		t.Fatalf("welcome: %v", m)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	return c
}

type push struct {
	Type, Topic, Subject string
	Data                 map[string]any
}

func TestWSSpotMatchTickerSnapshot(t *testing.T) {
	srv := replaytest.Start(t, kucoin.SpotName, pairs, replaytest.Clock(base, 300))
	c := dialKucoin(t, srv)
	for i, topic := range []string{"/market/match:BTC-USDT", "/market/ticker:BTC-USDT", "/market/snapshot:BTC-USDT"} {
		c.WriteJSON(map[string]any{"id": strconv.Itoa(i), "type": "subscribe", "topic": topic, "response": true})
	}
	var seqs []int64
	subjects := map[string]int{}
	for len(seqs) < 20 || subjects["trade.ticker"] < 2 || subjects["trade.snapshot"] < 1 {
		var m push
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "message" {
			continue
		}
		subjects[m.Subject]++
		switch m.Subject {
		case "trade.l3match":
			if m.Topic != "/market/match:BTC-USDT" || m.Data["symbol"] != "BTC-USDT" || m.Data["type"] != "match" {
				t.Fatalf("match %+v", m)
			}
			seq, _ := strconv.ParseInt(m.Data["sequence"].(string), 10, 64)
			if n := len(seqs); n > 0 && seq != seqs[n-1]+1 {
				t.Fatalf("match stream skips or repeats: %d after %d", seq, seqs[n-1])
			}
			seqs = append(seqs, seq)
		case "trade.ticker":
			bid, _ := strconv.ParseFloat(m.Data["bestBid"].(string), 64)
			ask, _ := strconv.ParseFloat(m.Data["bestAsk"].(string), 64)
			if !(bid < ask) || m.Data["price"] == "" {
				t.Fatalf("ticker %+v", m)
			}
		case "trade.snapshot":
			d := m.Data["data"].(map[string]any)
			if d["symbol"] != "BTC-USDT" || d["buy"].(float64) >= d["sell"].(float64) || d["high"].(float64) < d["low"].(float64) {
				t.Fatalf("snapshot %+v", m)
			}
		default:
			t.Fatalf("unexpected %+v", m)
		}
	}
}

func TestWSFuturesExecutionAndInstrument(t *testing.T) {
	srv := replaytest.Start(t, kucoin.PerpetualName, pairs, replaytest.Clock(base, 300))
	c := dialKucoin(t, srv)
	for i, topic := range []string{"/contractMarket/execution:XBTUSDTM", "/contract/instrument:XBTUSDTM", "/contractMarket/tickerV2:XBTUSDTM"} {
		c.WriteJSON(map[string]any{"id": strconv.Itoa(i), "type": "subscribe", "topic": topic, "response": true})
	}
	subjects := map[string]int{}
	var last float64
	for subjects["match"] < 10 || subjects["mark.index.price"] < 1 || subjects["funding.rate"] < 1 || subjects["tickerV2"] < 1 {
		var m push
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "message" {
			continue
		}
		subjects[m.Subject]++
		switch m.Subject {
		case "match":
			seq := m.Data["sequence"].(float64)
			if last != 0 && seq != last+1 {
				t.Fatalf("execution skips: %v after %v", seq, last)
			}
			last = seq
		case "mark.index.price":
			if m.Data["markPrice"].(float64) <= 0 || m.Data["indexPrice"].(float64) <= 0 {
				t.Fatalf("%+v", m)
			}
		case "funding.rate":
			if r := m.Data["fundingRate"].(float64); r > 0.003 || r < -0.003 {
				t.Fatalf("%+v", m)
			}
		case "tickerV2":
			if m.Data["bestBidPrice"].(string) >= m.Data["bestAskPrice"].(string) && len(m.Data["bestBidPrice"].(string)) == len(m.Data["bestAskPrice"].(string)) {
				t.Fatalf("%+v", m)
			}
		}
	}
}
