package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Limits is the run-time view of a Model that flags and the admin API read
// and replace. The zero value limits nothing; Model.Limits gives the
// exchange's own values.
type Limits struct {
	// RESTLimit is the primary window's limit per RESTPeriod; 0 removes it.
	RESTLimit  int      `json:"rest_limit"`
	RESTPeriod Duration `json:"rest_period"`
	// RESTWeighted counts each request at the model's per-endpoint weight;
	// false counts every request as 1 (a plain request limit).
	RESTWeighted bool `json:"rest_weighted"`
	// WSLimit is the most client messages per second on one WS connection,
	// WSBurst the most at once; 0 means no limit.
	WSLimit float64 `json:"ws_limit"`
	WSBurst int     `json:"ws_burst"`
	// WSConnsPerIP is the most concurrent WS connections per client IP.
	WSConnsPerIP int `json:"ws_conns_per_ip"`
	// WSConnAttempts is the most WS connection attempts per IP per
	// WSConnPeriod.
	WSConnAttempts int      `json:"ws_conn_attempts"`
	WSConnPeriod   Duration `json:"ws_conn_period"`
	// WSStreams is the most streams one WS connection may subscribe.
	WSStreams int `json:"ws_streams"`
	// Disabled switches enforcement off: usage is still counted and
	// reported in headers, but nothing is refused.
	Disabled bool `json:"disabled"`
}

// Limits returns the model's own limits.
func (m Model) Limits() Limits {
	l := Limits{
		RESTWeighted:   true,
		WSLimit:        m.WS.MessageRate,
		WSBurst:        m.WS.Burst,
		WSConnsPerIP:   m.WS.ConnsPerIP,
		WSConnAttempts: m.WS.ConnAttempts,
		WSConnPeriod:   Duration(m.WS.ConnPeriod),
		WSStreams:      m.WS.MaxStreams,
	}
	if l.WSLimit > 0 && l.WSBurst <= 0 {
		l.WSBurst = int(math.Ceil(l.WSLimit))
	}
	if len(m.REST) > 0 {
		l.RESTLimit = m.REST[0].Limit
		l.RESTPeriod = Duration(m.REST[0].Period)
	}
	return l
}

// Validate reports the first field that makes no sense.
func (l Limits) Validate() error {
	switch {
	case l.RESTLimit < 0:
		return errors.New("rest_limit must not be negative")
	case l.RESTLimit > 0 && l.RESTPeriod <= 0:
		return errors.New("rest_period must be a positive duration when rest_limit is set")
	case l.WSLimit < 0 || math.IsNaN(l.WSLimit) || math.IsInf(l.WSLimit, 0):
		return errors.New("ws_limit must be a non-negative number")
	case l.WSBurst < 0:
		return errors.New("ws_burst must not be negative")
	case l.WSConnsPerIP < 0:
		return errors.New("ws_conns_per_ip must not be negative")
	case l.WSConnAttempts < 0:
		return errors.New("ws_conn_attempts must not be negative")
	case l.WSConnAttempts > 0 && l.WSConnPeriod <= 0:
		return errors.New("ws_conn_period must be a positive duration when ws_conn_attempts is set")
	case l.WSStreams < 0:
		return errors.New("ws_streams must not be negative")
	}
	return nil
}

// windows derives the enforced REST windows from the model and l: the
// primary window follows l (anchored at a client's first request when l
// changed it), the others stay as the model has them.
func (m Model) windows(l Limits) []Window {
	var out []Window
	if l.RESTLimit > 0 {
		w := Window{Name: "REQUEST_WEIGHT", Limit: l.RESTLimit, Period: time.Duration(l.RESTPeriod)}
		if len(m.REST) > 0 {
			p := m.REST[0]
			w.Name = p.Name
			w.Aligned = p.Aligned && p.Limit == w.Limit && p.Period == w.Period
		}
		out = append(out, w)
	}
	if len(m.REST) > 1 {
		out = append(out, m.REST[1:]...)
	}
	return out
}

// String summarizes the limits for logs.
func (l Limits) String() string {
	return fmt.Sprintf("rest %d/%s ws %g/s burst %d conns/ip %d", l.RESTLimit, time.Duration(l.RESTPeriod), l.WSLimit, l.WSBurst, l.WSConnsPerIP)
}
