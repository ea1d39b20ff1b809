package replay

import (
	"slices"
	"strings"
	"time"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
	"github.com/candlecassette/candlecassette/serve"
)

// A cassette of several exchanges (format 4: one bot session recorded
// through the proxy) is replayed by one server serving all of them by the
// request's host, as serve's proxy mode routes it: each exchange answers
// from its own part of the cassette — recorded interactions, candle index,
// streams — filled in by its own synthetic market, all on one virtual
// clock that starts at the earliest recording. A host sibling ids of the
// cassette share (www.okx.com for okx_spot and okx_perpetual) is declared
// for each, so the front answers each request on it from the part of the
// sibling the lead's Owner names — where record filed it — and a
// connection for all of them from the lead's part (sharedEnv). A direct
// request names no exchange and gets serve's 421. Options.Exchange picks
// one exchange of such a cassette to serve alone, as a single-exchange
// cassette is.

// newMultiTape serves every exchange of f, which holds several; the
// server owns f.
func newMultiTape(opts Options, f cassetteFile) (*Server, error) {
	ids := f.Exchanges()
	from, err := earliest(f, ids)
	if err != nil {
		f.Close()
		return nil, err
	}
	so, d, u := frontOptions(opts)
	var (
		tapes []*tape
		each  []Options
		exs   []serve.Exchange
		owner = map[string]plugins.Plugin{}
	)
	for _, id := range ids {
		o := opts
		o.Exchange = id
		t, err := newTape(&o, f, from)
		if err != nil {
			closeForwarders(tapes)
			f.Close()
			return nil, err
		}
		t.d = d
		if err := t.setMisses(o, u); err != nil {
			closeForwarders(tapes)
			f.Close()
			return nil, err
		}
		p, _ := plugins.Lookup(id) // newTape looked it up
		tapes, each = append(tapes, t), append(each, o)
		exs = append(exs, serve.Exchange{Plugin: p, Hosts: ownHosts(p, so.Hosts, owner)})
	}
	so.Hosts = nil // in exs
	front, err := serve.NewMulti(so, exs...)
	if err != nil {
		closeForwarders(tapes)
		f.Close()
		return nil, err
	}
	s := &Server{Server: front, tape: tapes[0], tapes: tapes, usage: u}
	tapes[0].file = f
	envs := make(map[string]*plugins.Env, len(ids))
	for i, st := range front.Exchanges() {
		env, inner := mount(each[i], st.Plugin(), tapes[i], st.Hub(), so.Logger, d)
		st.Handle(inner)
		st.SetMarket(view(env, tapes[i]))
		envs[st.Plugin().Name()] = env
		if i == 0 {
			s.plugin, s.env = st.Plugin(), env
		}
	}
	// A connection for every sibling of a shared host at once was
	// recorded under the lead (record's claims): it is served over the
	// siblings' markets together, as synth serves it (sharedEnv).
	for i, st := range front.Exchanges() {
		others := front.SharedWith(st.Plugin().Name())
		if len(others) == 0 {
			continue
		}
		p := st.Plugin()
		u := sharedEnv(front, tapes[i], append([]string{p.Name()}, others...), envs, served(opts.Pairs))
		u.Hub = st.Hub()
		st.HandleShared(tapes[i].newRecordedREST(p, d, serve.Sourced(serve.SourceSynthetic, p.Handler(u))))
	}
	return s, nil
}

// sharedEnv is what the lead of a shared host (ids[0], whose tape is
// lead) serves a connection for every sibling (ids) from: each symbol's
// market is its sibling's, and each stream is the lead's recording of it
// — decoded by that sibling's plugin (OKX's swap rows count contracts,
// its spot rows base currency) — carried on, where the recording ends or
// never had the stream, by the sibling's own feed. A symbol belongs to
// the sibling that spells it among the pairs served (the first n of each
// Env's Pairs), before any met only in a recording: the lead's recording
// names its siblings' symbols too.
func sharedEnv(front *serve.Server, lead *tape, ids []string, envs map[string]*plugins.Env, n int) *plugins.Env {
	u := *envs[ids[0]]
	u.Pairs = nil
	markets, feeds, tapes := unionMarket{}, unionFeed{}, unionTape{}
	recorded := make([]cc.Feed, len(ids))
	for i, id := range ids {
		recorded[i] = lead.feed(front.Exchange(id).Plugin(), envs[id].Feed)
	}
	for _, spelled := range []bool{true, false} {
		for i, id := range ids {
			env := envs[id]
			for j, pr := range env.Pairs {
				if _, dup := markets[pr.Symbol]; dup || (j < n) != spelled {
					continue
				}
				markets[pr.Symbol], feeds[pr.Symbol] = env.Market, recorded[i]
				if env.Tape != nil {
					tapes[pr.Symbol] = env.Tape // each symbol's trades from its own exchange
				}
				u.Pairs = append(u.Pairs, pr)
			}
		}
	}
	u.Market, u.Feed = markets, feeds
	if len(tapes) > 0 {
		u.Tape = tapes
	}
	return &u
}

// served is how many pairs an exchange serves before those its recording
// adds (tape.addPairs).
func served(pairs []cc.Pair) int {
	if len(pairs) == 0 {
		return len(cc.DefaultPairs)
	}
	return len(pairs)
}

// ownHosts are the hosts p is reached at through the proxy — its declared
// Hosts and what extra gives — less those an exchange before it took
// (owner), unless that one is p's sibling (plugins.SharedHostRouter): a
// host siblings share (www.okx.com for okx_spot and okx_perpetual) is
// declared for each, and the front routes each request on it to the
// sibling the first one's Owner names, as it was recorded (record's
// claims). A host two other exchanges of the cassette declare is served
// by the first.
func ownHosts(p plugins.Plugin, extra func(plugins.Plugin) []string, owner map[string]plugins.Plugin) []string {
	hs := p.Defaults().Hosts
	if extra != nil {
		hs = append(hs[:len(hs):len(hs)], extra(p)...)
	}
	var own []string
	for _, h := range hs {
		name := strings.ToLower(h)
		if o, taken := owner[name]; taken {
			if o.Name() == p.Name() || !siblings(o, p) {
				continue
			}
		} else {
			owner[name] = p
		}
		own = append(own, h)
	}
	return own
}

// siblings says whether b may share lead's hosts.
func siblings(lead, b plugins.Plugin) bool {
	r, ok := lead.(plugins.SharedHostRouter)
	if !ok {
		return false
	}
	_, ok = b.(plugins.SharedHostRouter)
	return ok && slices.Contains(r.Siblings(), b.Name())
}

// earliest is when the first of the exchanges' recordings starts (the
// file's creation if none recorded anything).
func earliest(f cassetteFile, ids []string) (time.Time, error) {
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

// closeForwarders ends the upstream forwarders of tapes built before a
// failure.
func closeForwarders(tapes []*tape) {
	for _, t := range tapes {
		t.closeForwarder()
	}
}
