package serve

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/candlecassette/candlecassette/plugins"
)

// Hosts shared by sibling ids. Some exchanges answer several of our ids
// on one real host: www.okx.com serves SPOT and SWAP instruments,
// api.bybit.com every category, api.hyperliquid.xyz's /info spot and
// perpetuals, and one OKX business socket carries spot and swap candles.
// A process serving both siblings answers such a host as the exchange
// does:
//
//   - Their plugins implement plugins.SharedHostRouter and name each
//     other as Siblings; any other two exchanges claiming one host are
//     refused (ErrHostTaken).
//   - The first of them given to NewMulti leads the host: its plugin's
//     Owner picks, per request, the sibling whose Stack (rate limits,
//     network simulation, handler) answers it — by path, query or body.
//   - A request Owner gives to no single sibling ("": a WS connection
//     carrying every market) goes to the lead's Stack and its shared
//     handler (Stack.HandleShared): the mode's handler over the union of
//     the siblings' markets, which SharedWith names. The lead's limits,
//     conditions and Hub govern that connection.

// hostRoute is who answers one hostname: one exchange, or siblings
// sharing it, between which the lead's router picks per request.
type hostRoute struct {
	lead   *Stack
	stacks []*Stack // lead first; more than one when shared
	router plugins.SharedHostRouter
}

// share adds st to the exchanges answering the host, if st and the lead
// are siblings.
func (hr *hostRoute) share(st *Stack) error {
	lead, ok := hr.lead.plugin.(plugins.SharedHostRouter)
	if !ok {
		return errors.New("one host answering for two ids needs plugins that share it: see plugins.SharedHostRouter")
	}
	if _, ok := st.plugin.(plugins.SharedHostRouter); !ok || !slices.Contains(lead.Siblings(), st.plugin.Name()) {
		return fmt.Errorf("%s shares its hosts only with %v", hr.lead.plugin.Name(), lead.Siblings())
	}
	hr.router = lead
	hr.stacks = append(hr.stacks, st)
	return nil
}

// handler is the Stack's way in that answers r.
func (hr *hostRoute) handler(r *http.Request) http.Handler {
	if hr.router == nil {
		return hr.lead.handler
	}
	id := hr.router.Owner(r)
	if id == "" {
		return hr.lead.sharedHandler()
	}
	for _, st := range hr.stacks[1:] {
		if st.plugin.Name() == id {
			return st.handler
		}
	}
	return hr.lead.handler
}

// HandleShared puts the exchange's layers around h, the mode's handler
// for the requests of hosts this exchange leads that are for every
// sibling at once (see SharedWith): the plugin over the union of their
// markets. Without it, such requests go to the handler given to Handle.
// Call it at most once, before the Server serves.
func (st *Stack) HandleShared(h http.Handler) {
	st.shared = st.layers(h)
}

func (st *Stack) sharedHandler() http.Handler {
	if st.shared != nil {
		return st.shared
	}
	return st.handler
}

// SharedWith names the exchanges served here that share a hostname led
// by the exchange named (the first given to NewMulti of those claiming
// it), in the order given: the markets whose union its shared handler
// serves (Stack.HandleShared). Nil if it leads no shared host.
func (s *Server) SharedWith(name string) []string {
	var out []string
	for _, hr := range s.hosts {
		if hr.lead.plugin.Name() != name {
			continue
		}
		for _, st := range hr.stacks[1:] {
			if n := st.plugin.Name(); !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	// Map order is random: give them in the order served.
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(s.stacks, s.byName[a]) - slices.Index(s.stacks, s.byName[b])
	})
	return out
}
