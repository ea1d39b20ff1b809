package netsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Exchange-protocol faults: not the network's doing but the exchange's,
// the kind a client that keeps an order book must survive. A plugin marks
// its book-diff messages (plugins.Session.SendBookDiff) and asks for its
// REST snapshot's instant (plugins.Env.SnapshotTime); the Sim decides, by
// the triggers below, which of them go wrong.

// The protocol faults, as Stats.Protocol and the metrics name them.
const (
	FaultBookGap       = "book_gap"       // a book diff dropped: the sequence jumps
	FaultBookDuplicate = "book_duplicate" // a book diff sent twice
	FaultBookReorder   = "book_reorder"   // a book diff swapped with the next one of its book
	FaultBookCorrupt   = "book_corrupt"   // a book diff's checksum made wrong
	FaultStaleSnapshot = "stale_snapshot" // a REST book snapshot as of an older instant
	FaultResync        = "resync"         // the stream ended, the client must resync
)

// MaxClockSkew bounds Config.ClockSkew either way.
const MaxClockSkew = 24 * time.Hour

// Trigger says when a protocol fault fires among the messages (or
// requests) it applies to: with probability Rate each, on every Every-th,
// or once on the first at or after At (then again every Repeat if set).
// At most one of Rate, Every and At is set; the zero Trigger never fires.
//
// In JSON a bare number is a Rate (0.01); otherwise an object
// {"rate":0.01}, {"every":100} or {"at":"30s","repeat":"1m"}. As a flag
// it is the number, or "every:100", or "at:30s" with ",repeat:1m".
//
// Every counts per WS connection (the 100th book diff of each
// connection). At fires once per connection, on the first message at or
// after At, and only for moments after the connection opened; for REST
// snapshots both count across all requests.
type Trigger struct {
	Rate   float64  `json:"rate,omitempty"`
	Every  int      `json:"every,omitempty"`
	At     *When    `json:"at,omitempty"`
	Repeat Duration `json:"repeat,omitempty"`
}

// IsZero reports whether t never fires.
func (t Trigger) IsZero() bool { return t.Rate == 0 && t.Every == 0 && t.At == nil }

// Validate reports what is wrong with t.
func (t Trigger) Validate() error {
	forms := 0
	if t.Rate != 0 {
		forms++
	}
	if t.Every != 0 {
		forms++
	}
	if t.At != nil {
		forms++
	}
	switch {
	case forms > 1:
		return errors.New("set only one of rate, every and at")
	case !probability(t.Rate):
		return fmt.Errorf("rate must be between 0 and 1, got %v", t.Rate)
	case t.Every < 0:
		return fmt.Errorf("every must be a positive count of messages, got %d", t.Every)
	case t.Repeat < 0:
		return errors.New("repeat must not be negative")
	case t.Repeat > 0 && t.At == nil:
		return errors.New("repeat needs an at")
	}
	return nil
}

// UnmarshalJSON reads a number (a rate) or an object.
func (t *Trigger) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var rate float64
		if err := json.Unmarshal(b, &rate); err != nil {
			return fmt.Errorf("a fault trigger is a rate (0..1) or an object such as {\"every\":100}: %s", b)
		}
		*t = Trigger{Rate: rate}
		return nil
	}
	type plain Trigger
	var p plain
	if err := strictJSON(b, &p); err != nil {
		return err
	}
	*t = Trigger(p)
	return nil
}

// UnmarshalText reads the flag form: "0.01", "every:100", "at:30s",
// "at:2026-12-06T12:00:00Z,repeat:1m".
func (t *Trigger) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if rate, err := strconv.ParseFloat(s, 64); err == nil {
		*t = Trigger{Rate: rate}
		return nil
	}
	var out Trigger
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return fmt.Errorf("fault trigger %q: want a rate, every:N or at:WHEN[,repeat:D]", s)
		}
		if err := out.set(k, v); err != nil {
			return fmt.Errorf("fault trigger %q: %w", s, err)
		}
	}
	*t = out
	return nil
}

func (t *Trigger) set(k, v string) error {
	switch k {
	case "rate":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("rate %q is not a number", v)
		}
		t.Rate = f
	case "every":
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("every %q is not a count", v)
		}
		t.Every = n
	case "at":
		var w When
		if err := w.UnmarshalJSON(strconv.AppendQuote(nil, v)); err != nil {
			return err
		}
		t.At = &w
	case "repeat":
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("repeat %q is not a duration", v)
		}
		t.Repeat = Duration(d)
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// Stale is the stale-snapshot fault: a REST book snapshot is served as of
// Age before now when its trigger fires. An Age with no trigger makes
// every snapshot stale. In JSON it is a duration string ("5s", every
// snapshot) or an object {"age":"5s","rate":0.5}; as a flag "5s" or
// "age:5s,every:3".
type Stale struct {
	Age    Duration `json:"age"`
	Rate   float64  `json:"rate,omitempty"`
	Every  int      `json:"every,omitempty"`
	At     *When    `json:"at,omitempty"`
	Repeat Duration `json:"repeat,omitempty"`
}

// IsZero reports whether no snapshot is made stale.
func (s Stale) IsZero() bool { return s.Age == 0 && s.trigger().IsZero() }

func (s Stale) trigger() Trigger {
	return Trigger{Rate: s.Rate, Every: s.Every, At: s.At, Repeat: s.Repeat}
}

// fires is s's trigger, "always" when only an age is set.
func (s Stale) fires() Trigger {
	t := s.trigger()
	if t.IsZero() && s.Age > 0 {
		t.Rate = 1
	}
	return t
}

// Validate reports what is wrong with s.
func (s Stale) Validate() error {
	if s.IsZero() {
		return nil
	}
	if s.Age <= 0 {
		return errors.New("age must be positive")
	}
	return s.trigger().Validate()
}

// UnmarshalJSON reads a duration string (the age) or an object.
func (s *Stale) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var d Duration
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		*s = Stale{Age: d}
		return nil
	}
	type plain Stale
	var p plain
	if err := strictJSON(b, &p); err != nil {
		return err
	}
	*s = Stale(p)
	return nil
}

// UnmarshalText reads the flag form: "5s" or "age:5s,every:3".
func (s *Stale) UnmarshalText(b []byte) error {
	str := strings.TrimSpace(string(b))
	if d, err := time.ParseDuration(str); err == nil {
		*s = Stale{Age: Duration(d)}
		return nil
	}
	var out Stale
	var t Trigger
	for part := range strings.SplitSeq(str, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return fmt.Errorf("stale snapshot %q: want AGE or age:AGE with a rate, every:N or at:WHEN", str)
		}
		if k == "age" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("stale snapshot %q: age %q is not a duration", str, v)
			}
			out.Age = Duration(d)
			continue
		}
		if err := t.set(k, v); err != nil {
			return fmt.Errorf("stale snapshot %q: %w", str, err)
		}
	}
	out.Rate, out.Every, out.At, out.Repeat = t.Rate, t.Every, t.At, t.Repeat
	*s = out
	return nil
}

// strictJSON decodes b into v refusing unknown fields, as Patch does at
// the top level.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ProtocolFaults are the exchange-protocol faults of Conditions: they
// apply per route like the rest.
type ProtocolFaults struct {
	// BookGap drops a book diff, BookDuplicate sends one twice,
	// BookReorder swaps one with the next diff of the same book and
	// BookCorrupt makes its checksum wrong (where the exchange sends one).
	BookGap       Trigger `json:"book_gap,omitzero"`
	BookDuplicate Trigger `json:"book_duplicate,omitzero"`
	BookReorder   Trigger `json:"book_reorder,omitzero"`
	BookCorrupt   Trigger `json:"book_corrupt,omitzero"`
	// StaleSnapshot serves a REST book snapshot as of an older instant
	// than the stream has reached.
	StaleSnapshot Stale `json:"stale_snapshot,omitzero"`
	// Resync ends a WS connection the exchange's way for a reconnect (or
	// sends its resubscribe-required event) on a server message; it
	// counts every data message of the connection.
	Resync Trigger `json:"resync,omitzero"`
}

func (p ProtocolFaults) validate() error {
	for _, f := range []struct {
		name string
		t    Trigger
	}{{"book_gap", p.BookGap}, {"book_duplicate", p.BookDuplicate}, {"book_reorder", p.BookReorder},
		{"book_corrupt", p.BookCorrupt}, {"resync", p.Resync}} {
		if err := f.t.Validate(); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if err := p.StaleSnapshot.Validate(); err != nil {
		return fmt.Errorf("stale_snapshot: %w", err)
	}
	return nil
}

func (p ProtocolFaults) any() bool {
	return !p.BookGap.IsZero() || !p.BookDuplicate.IsZero() || !p.BookReorder.IsZero() ||
		!p.BookCorrupt.IsZero() || !p.Resync.IsZero() || !p.StaleSnapshot.IsZero()
}

// fired is a trigger's state where it counts: messages seen and the last
// At occurrence consumed.
type fired struct {
	n    int
	last time.Time
}

// fire draws whether t fires on one more message now; u is the message's
// uniform draw, taken whatever the outcome. st's At moments count from
// epoch.
func (t Trigger) fire(st *fired, u float64, now, epoch time.Time) bool {
	st.n++
	switch {
	case t.Rate > 0:
		return u < t.Rate
	case t.Every > 0:
		return st.n%t.Every == 0
	case t.At != nil:
		at := t.At.resolve(epoch)
		if now.Before(at) {
			return false
		}
		if t.Repeat > 0 {
			at = at.Add(now.Sub(at) / time.Duration(t.Repeat) * time.Duration(t.Repeat))
		}
		if !at.After(st.last) {
			return false
		}
		st.last = at
		return true
	}
	return false
}
