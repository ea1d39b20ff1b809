package record

import (
	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/plugins"
)

// secretsOf is what a recording of p redacts on top of the cassette's
// generic names: the secrets p declares in its Defaults, then those of
// every other registered exchange. A client holding keys for several
// exchanges may send any of them through the proxy (one HTTP client
// configured for all of them), and one cassette is to hold several
// exchanges once the front routes by host: a name that carries a
// credential at one exchange is no data worth keeping at another.
func secretsOf(p plugins.Plugin) cassettes.Secrets {
	var s cassettes.Secrets
	add := func(d plugins.Defaults) {
		s.Headers = append(s.Headers, d.SecretHeaders...)
		s.Params = append(s.Params, d.SecretParams...)
		s.LoginOps = append(s.LoginOps, d.LoginOps...)
	}
	add(p.Defaults())
	for _, name := range plugins.Names() {
		if other, err := plugins.Lookup(name); err == nil && name != p.Name() {
			add(other.Defaults())
		}
	}
	return s
}
