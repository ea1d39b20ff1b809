package cassettes_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
)

// The BeforeSave stage runs on every interaction, connection and frame,
// sees them as captured, and is followed by redaction: what a hook adds
// is stored, and a secret it puts in is still redacted.
func TestBeforeSaveHooksRunOnEverythingAndRedactionFollows(t *testing.T) {
	var sawQuery, sawURL, sawFrame string
	c, path := mustCreate(t, &cassettes.Options{BeforeSave: cassettes.Hooks{
		Interaction: func(ix *cassettes.Interaction) {
			sawQuery = ix.Query
			ix.RequestHeader.Set("X-Hooked", "yes")
			ix.RequestHeader.Set("Authorization", "Bearer hook-added-secret-value")
		},
		Conn: func(url string) string {
			sawURL = url
			return url + "&hooked=1"
		},
		Frame: func(f *cassettes.Frame) {
			sawFrame = string(f.Payload)
			f.Conn = 999 // not the hook's to change
			if f.Dir == cassettes.FromClient {
				f.Payload = []byte(`{"op":"auth","args":["hook-added-key-value"]}`)
			}
			f.Stream = "HOOKED 1m"
		},
	}})
	c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/x", Query: "signature=raw-signature-value&a=1", Status: 200,
		RequestHeader: http.Header{"Accept": {"*/*"}}})
	id, err := c.BeginConn("/ws?token=raw-token-value-123", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromClient, Opcode: 1, Payload: []byte(`{"op":"subscribe"}`)}); err != nil {
		t.Fatal(err)
	}
	c.EndConn(id, time.Now(), 1000)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if sawQuery != "signature=raw-signature-value&a=1" || sawURL != "/ws?token=raw-token-value-123" || sawFrame != `{"op":"subscribe"}` {
		t.Errorf("hooks did not see what was captured: %q %q %q", sawQuery, sawURL, sawFrame)
	}
	r := openRO(t, path)
	var ixs []*cassettes.Interaction
	r.Interactions(func(ix *cassettes.Interaction) error { ixs = append(ixs, ix); return nil })
	if len(ixs) != 1 {
		t.Fatalf("%d interactions", len(ixs))
	}
	ix := ixs[0]
	if ix.RequestHeader.Get("X-Hooked") != "yes" || ix.RequestHeader.Get("Authorization") != cassettes.Redacted || ix.Query != "signature=REDACTED&a=1" {
		t.Errorf("stored %v %q: want the hook's header, and its secret and the query's redacted", ix.RequestHeader, ix.Query)
	}
	conns, err := r.Conns()
	if err != nil || len(conns) != 1 || conns[0].URL != "/ws?token=REDACTED&hooked=1" {
		t.Fatalf("conns %+v, %v", conns, err)
	}
	var frames []cassettes.Frame
	r.Frames(id, func(f cassettes.Frame) error { frames = append(frames, f); return nil })
	if len(frames) != 1 || string(frames[0].Payload) != `{"args":["REDACTED"],"op":"auth"}` || frames[0].Stream != "HOOKED 1m" {
		t.Errorf("frames %+v: want the hook's login, redacted, and its label", frames)
	}
}

// The cassette names no exchange: an exchange's headers, params and login
// verbs are redacted when Options.Secrets names them, and only then.
func TestAnExchangesSecretsAreRedactedWhenDeclared(t *testing.T) {
	const (
		header = "X-Exch-Access"
		param  = "exchCredential"
		login  = "session.hello"
	)
	store := func(s cassettes.Secrets) (*cassettes.Interaction, []string) {
		c, path := mustCreate(t, &cassettes.Options{Secrets: s})
		c.AddInteraction(&cassettes.Interaction{Method: "GET", Path: "/x", Status: 200,
			Query: param + "=q-value-12345", RequestHeader: http.Header{header: {"h-value-12345"}}})
		id, err := c.BeginConn("/ws", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{`{"method":"` + login + `","params":{"who":"f-value-12345"}}`, login + " t-value-12345"} {
			c.AddFrame(cassettes.Frame{Conn: id, Dir: cassettes.FromClient, Opcode: 1, Payload: []byte(p)})
		}
		c.EndConn(id, time.Now(), 1000)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		r := openRO(t, path)
		var ix *cassettes.Interaction
		r.Interactions(func(x *cassettes.Interaction) error { ix = x; return nil })
		var frames []string
		r.Frames(id, func(f cassettes.Frame) error { frames = append(frames, string(f.Payload)); return nil })
		if ix == nil || len(frames) != 2 {
			t.Fatalf("stored %v and %d frames", ix, len(frames))
		}
		return ix, frames
	}
	t.Run("undeclared, they are data", func(t *testing.T) {
		ix, frames := store(cassettes.Secrets{})
		if ix.RequestHeader.Get(header) != "h-value-12345" || ix.Query != param+"=q-value-12345" ||
			!strings.Contains(frames[0], "f-value-12345") || !strings.Contains(frames[1], "t-value-12345") {
			t.Errorf("changed without being declared: %v %q %q", ix.RequestHeader, ix.Query, frames)
		}
	})
	t.Run("declared, they are redacted", func(t *testing.T) {
		ix, frames := store(cassettes.Secrets{Headers: []string{header}, Params: []string{param}, LoginOps: []string{login}})
		if ix.RequestHeader.Get(header) != cassettes.Redacted || ix.Query != param+"=REDACTED" {
			t.Errorf("request stored as %v %q", ix.RequestHeader, ix.Query)
		}
		if want := `{"method":"` + login + `","params":{"who":"REDACTED"}}`; frames[0] != want {
			t.Errorf("login stored as %s, want %s", frames[0], want)
		}
		if want := login + " REDACTED"; frames[1] != want {
			t.Errorf("text login stored as %q, want %q", frames[1], want)
		}
	})
}
