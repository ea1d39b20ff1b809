package netsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Loss modes for REST requests.
const (
	// LossDrop cuts the connection without a response.
	LossDrop = "drop"
	// LossHang holds the request until the client gives up.
	LossHang = "hang"
)

// Latency distributions.
const (
	// DistUniform adds latency ± a uniform jitter.
	DistUniform = "uniform"
	// DistPareto adds latency plus a heavy-tailed extra (Lomax, shape 3)
	// whose mean is the jitter.
	DistPareto = "pareto"
)

// Conditions are the network conditions of a request or message.
type Conditions struct {
	// Latency is added to every REST response and WS server message.
	Latency Duration `json:"latency"`
	// Jitter spreads Latency: ± uniformly, or as the mean of a heavy tail
	// with LatencyDist "pareto".
	Jitter      Duration `json:"jitter"`
	LatencyDist string   `json:"latency_dist,omitempty"`
	// Loss is the probability that a request is lost (see LossMode) or a
	// WS message dropped.
	Loss     float64 `json:"loss"`
	LossMode string  `json:"loss_mode,omitempty"`
	// ErrorRate is the probability of the exchange's 5xx answer to a
	// request, or of an abnormal close instead of a WS message.
	ErrorRate float64 `json:"error_rate"`
	// Bandwidth caps REST bodies and WS messages at this many bytes per
	// second; 0 means unlimited.
	Bandwidth int64 `json:"bandwidth,omitempty"`
	// ProtocolFaults are the exchange's own faults (protocol.go): book
	// diffs lost, doubled, swapped or corrupted, stale snapshots, forced
	// resyncs.
	ProtocolFaults
}

// Validate reports the first field out of range.
func (c Conditions) Validate() error {
	switch {
	case c.Latency < 0:
		return errors.New("latency must not be negative")
	case c.Jitter < 0:
		return errors.New("jitter must not be negative")
	case !probability(c.Loss):
		return fmt.Errorf("loss must be between 0 and 1, got %v", c.Loss)
	case !probability(c.ErrorRate):
		return fmt.Errorf("error_rate must be between 0 and 1, got %v", c.ErrorRate)
	case c.LossMode != "" && c.LossMode != LossDrop && c.LossMode != LossHang:
		return fmt.Errorf("loss_mode must be %q or %q, got %q", LossDrop, LossHang, c.LossMode)
	case c.LatencyDist != "" && c.LatencyDist != DistUniform && c.LatencyDist != DistPareto:
		return fmt.Errorf("latency_dist must be %q or %q, got %q", DistUniform, DistPareto, c.LatencyDist)
	case c.Bandwidth < 0:
		return errors.New("bandwidth must not be negative")
	}
	return c.ProtocolFaults.validate()
}

func probability(p float64) bool { return p >= 0 && p <= 1 && !math.IsNaN(p) }

func (c Conditions) normalized() Conditions {
	if c.LossMode == "" {
		c.LossMode = LossDrop
	}
	if c.LatencyDist == "" {
		c.LatencyDist = DistUniform
	}
	return c
}

// Route overrides some conditions for matching paths: an exact Path or a
// Prefix. Fields left out keep the default conditions.
type Route struct {
	Path   string `json:"path,omitempty"`
	Prefix string `json:"prefix,omitempty"`

	Latency     *Duration `json:"latency,omitempty"`
	Jitter      *Duration `json:"jitter,omitempty"`
	LatencyDist *string   `json:"latency_dist,omitempty"`
	Loss        *float64  `json:"loss,omitempty"`
	LossMode    *string   `json:"loss_mode,omitempty"`
	ErrorRate   *float64  `json:"error_rate,omitempty"`
	Bandwidth   *int64    `json:"bandwidth,omitempty"`

	BookGap       *Trigger `json:"book_gap,omitempty"`
	BookDuplicate *Trigger `json:"book_duplicate,omitempty"`
	BookReorder   *Trigger `json:"book_reorder,omitempty"`
	BookCorrupt   *Trigger `json:"book_corrupt,omitempty"`
	StaleSnapshot *Stale   `json:"stale_snapshot,omitempty"`
	Resync        *Trigger `json:"resync,omitempty"`
}

// label names r in the protocol-fault counts: its path, or its prefix
// followed by "*".
func (r Route) label() string {
	if r.Path != "" {
		return r.Path
	}
	return r.Prefix + "*"
}

func (r Route) matches(path string) bool {
	return (r.Path != "" && path == r.Path) || (r.Prefix != "" && strings.HasPrefix(path, r.Prefix))
}

func (r Route) apply(c Conditions) Conditions {
	if r.Latency != nil {
		c.Latency = *r.Latency
	}
	if r.Jitter != nil {
		c.Jitter = *r.Jitter
	}
	if r.LatencyDist != nil {
		c.LatencyDist = *r.LatencyDist
	}
	if r.Loss != nil {
		c.Loss = *r.Loss
	}
	if r.LossMode != nil {
		c.LossMode = *r.LossMode
	}
	if r.ErrorRate != nil {
		c.ErrorRate = *r.ErrorRate
	}
	if r.Bandwidth != nil {
		c.Bandwidth = *r.Bandwidth
	}
	for _, f := range []struct {
		from *Trigger
		to   *Trigger
	}{{r.BookGap, &c.BookGap}, {r.BookDuplicate, &c.BookDuplicate}, {r.BookReorder, &c.BookReorder},
		{r.BookCorrupt, &c.BookCorrupt}, {r.Resync, &c.Resync}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if r.StaleSnapshot != nil {
		c.StaleSnapshot = *r.StaleSnapshot
	}
	return c
}

// When is a moment of a schedule: an offset from when the schedule was set
// (a Go duration string, "30s") or an absolute RFC 3339 time.
type When struct {
	Offset time.Duration
	Time   time.Time
}

func (w When) resolve(epoch time.Time) time.Time {
	if !w.Time.IsZero() {
		return w.Time
	}
	return epoch.Add(w.Offset)
}

// MarshalJSON writes the offset as a duration string or the time as RFC 3339.
func (w When) MarshalJSON() ([]byte, error) {
	if !w.Time.IsZero() {
		return json.Marshal(w.Time.Format(time.RFC3339Nano))
	}
	return json.Marshal(w.Offset.String())
}

// UnmarshalJSON reads a duration string or an RFC 3339 time.
func (w *When) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("schedule time must be a duration such as \"30s\" or an RFC 3339 time: %s", b)
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return fmt.Errorf("schedule offset %q is negative", s)
		}
		*w = When{Offset: d}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("schedule time %q is neither a duration nor an RFC 3339 time", s)
	}
	*w = When{Time: t}
	return nil
}

// Disconnect closes every WS connection at At, and then Every after that
// if Every is set. Code is the close code (0 means 1006: the connection is
// cut without a close frame).
type Disconnect struct {
	At    When     `json:"at"`
	Every Duration `json:"every,omitempty"`
	Code  int      `json:"code,omitempty"`
}

// Outage is a window of total outage from At for Duration, repeated Every
// if set: REST requests are lost (by the loss mode), WS connections are cut
// when it starts and refused while it lasts.
type Outage struct {
	At       When     `json:"at"`
	Duration Duration `json:"duration"`
	Every    Duration `json:"every,omitempty"`
}

// Slowdown is a window of degraded service from At for Duration, repeated
// Every if set: meanwhile every REST body and WS message is capped at
// Bandwidth bytes per second (if set) and Latency is added on top of the
// conditions' own.
type Slowdown struct {
	At        When     `json:"at"`
	Duration  Duration `json:"duration"`
	Every     Duration `json:"every,omitempty"`
	Bandwidth int64    `json:"bandwidth,omitempty"`
	Latency   Duration `json:"latency,omitempty"`
}

// Config is a whole network-simulation setting: the default conditions
// (inlined in JSON), per-route overrides (first match wins) and schedules.
// It is also the shape of a scenario file and of /__admin/conditions.
type Config struct {
	Conditions
	Routes      []Route      `json:"routes,omitempty"`
	Disconnects []Disconnect `json:"disconnects,omitempty"`
	Outages     []Outage     `json:"outages,omitempty"`
	Slowdowns   []Slowdown   `json:"slowdowns,omitempty"`
	// ClockSkew sets the exchange's clock this far ahead of true time
	// (behind if negative): its time endpoints, every time field it
	// sends and what it takes for "now" (the candle in progress) follow,
	// so a client that signs requests with its own clock meets the
	// exchange's timestamp errors. At most MaxClockSkew either way. It
	// applies where the server makes the answers (synth, replay); record
	// mode forwards the exchange's own times.
	ClockSkew Duration `json:"clock_skew,omitzero"`
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if err := c.Conditions.Validate(); err != nil {
		return err
	}
	if c.ClockSkew > Duration(MaxClockSkew) || c.ClockSkew < -Duration(MaxClockSkew) {
		return fmt.Errorf("clock_skew must be within ±%v, got %v", MaxClockSkew, time.Duration(c.ClockSkew))
	}
	for i, r := range c.Routes {
		if r.Path == "" && r.Prefix == "" {
			return fmt.Errorf("routes[%d]: needs a path or a prefix", i)
		}
		if err := r.apply(Conditions{}).Validate(); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
	}
	for i, d := range c.Disconnects {
		if d.Every < 0 {
			return fmt.Errorf("disconnects[%d]: every must not be negative", i)
		}
		if d.Code != 0 && (d.Code < 1000 || d.Code > 4999) {
			return fmt.Errorf("disconnects[%d]: code %d is not a WS close code", i, d.Code)
		}
	}
	for i, o := range c.Outages {
		if o.Duration <= 0 {
			return fmt.Errorf("outages[%d]: duration must be positive", i)
		}
		if o.Every < 0 || (o.Every > 0 && o.Every < o.Duration) {
			return fmt.Errorf("outages[%d]: every must be at least the duration", i)
		}
	}
	for i, sd := range c.Slowdowns {
		switch {
		case sd.Duration <= 0:
			return fmt.Errorf("slowdowns[%d]: duration must be positive", i)
		case sd.Every < 0 || (sd.Every > 0 && sd.Every < sd.Duration):
			return fmt.Errorf("slowdowns[%d]: every must be at least the duration", i)
		case sd.Bandwidth < 0 || sd.Latency < 0:
			return fmt.Errorf("slowdowns[%d]: bandwidth and latency must not be negative", i)
		case sd.Bandwidth == 0 && sd.Latency == 0:
			return fmt.Errorf("slowdowns[%d]: needs a bandwidth or a latency", i)
		}
	}
	return nil
}

// inWindow reports whether now falls in the window that opens at start for
// dur, repeated every (if positive).
func inWindow(now, start time.Time, dur, every Duration) bool {
	if now.Before(start) {
		return false
	}
	since := now.Sub(start)
	if every > 0 {
		since %= time.Duration(every)
	}
	return since < time.Duration(dur)
}

// ParseConfig decodes a JSON Config strictly: unknown fields are errors.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := Patch(&c, b); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Patch applies the JSON object b to c: only the fields b names change
// (a named list replaces the whole list). Unknown fields and invalid
// results are errors, and c is then left as it was.
func Patch(c *Config, b []byte) error {
	var named map[string]json.RawMessage
	if err := json.Unmarshal(b, &named); err != nil {
		return fmt.Errorf("netsim: want a JSON object: %w", err)
	}
	next := *c
	// A named list is replaced whole: decode it into a fresh slice, never
	// into c's backing array.
	if _, ok := named["routes"]; ok {
		next.Routes = nil
	}
	if _, ok := named["disconnects"]; ok {
		next.Disconnects = nil
	}
	if _, ok := named["outages"]; ok {
		next.Outages = nil
	}
	if _, ok := named["slowdowns"]; ok {
		next.Slowdowns = nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		return fmt.Errorf("netsim: %w", err)
	}
	if dec.More() {
		return errors.New("netsim: trailing data after the JSON object")
	}
	if err := next.Validate(); err != nil {
		return fmt.Errorf("netsim: %w", err)
	}
	*c = next
	return nil
}
