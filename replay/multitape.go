package replay

import (
	"strings"
	"time"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// A cassette of several exchanges (format 4: one bot session recorded
// through the proxy) is replayed by one server serving all of them by the
// request's host, as serve's proxy mode routes it: each exchange answers
// from its own part of the cassette — recorded interactions, candle index,
// streams — filled in by its own synthetic market, all on one virtual
// clock that starts at the earliest recording. A direct request names no
// exchange and gets serve's 421. Options.Exchange picks one exchange of
// such a cassette to serve alone, as a single-exchange cassette is.

// newMultiTape serves every exchange of f, which holds several; the
// server owns f.
func newMultiTape(opts Options, f *cassettes.File) (*Server, error) {
	ids := f.Exchanges()
	from, err := earliest(f, ids)
	if err != nil {
		f.Close()
		return nil, err
	}
	so, d := frontOptions(opts)
	var (
		tapes []*tape
		each  []Options
		exs   []serve.Exchange
		owner = map[string]string{}
	)
	for _, id := range ids {
		o := opts
		o.Exchange = id
		t, err := newTape(&o, f, from)
		if err != nil {
			f.Close()
			return nil, err
		}
		t.d = d
		p, _ := plugins.Lookup(id) // newTape looked it up
		tapes, each = append(tapes, t), append(each, o)
		exs = append(exs, serve.Exchange{Plugin: p, Hosts: ownHosts(p, so.Hosts, owner)})
	}
	so.Hosts = nil // in exs
	front, err := serve.NewMulti(so, exs...)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &Server{Server: front, tape: tapes[0]}
	tapes[0].file = f
	for i, st := range front.Exchanges() {
		env, inner := mount(each[i], st.Plugin(), tapes[i], st.Hub(), so.Logger, d)
		st.Handle(inner)
		if i == 0 {
			s.plugin, s.env = st.Plugin(), env
		}
	}
	return s, nil
}

// ownHosts are the hosts p is reached at through the proxy — its declared
// Hosts and what extra gives — less those an exchange before it took
// (owner): a host two exchanges of the cassette share (spot and perpetual
// on one API host) is served by the first.
func ownHosts(p plugins.Plugin, extra func(plugins.Plugin) []string, owner map[string]string) []string {
	hs := p.Defaults().Hosts
	if extra != nil {
		hs = append(hs[:len(hs):len(hs)], extra(p)...)
	}
	var own []string
	for _, h := range hs {
		name := strings.ToLower(h)
		if _, taken := owner[name]; taken {
			continue
		}
		owner[name] = p.Name()
		own = append(own, h)
	}
	return own
}

// earliest is when the first of the exchanges' recordings starts (the
// file's creation if none recorded anything).
func earliest(f *cassettes.File, ids []string) (time.Time, error) {
	from := f.Meta().Created
	first := true
	for _, id := range ids {
		c, err := f.Exchange(id, nil)
		if err != nil {
			return time.Time{}, err
		}
		if m := c.Meta(); !m.From.IsZero() && (first || m.From.Before(from)) {
			from, first = m.From, false
		}
	}
	return from, nil
}
