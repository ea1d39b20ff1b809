package plugins

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

var (
	mu       sync.RWMutex
	registry = map[string]Plugin{}
)

// Register makes p available by its Name. It panics if p breaks the
// contract (see Validate; the message names the plugin and every defect)
// or if the name is taken: both are programming errors, best found when
// the binary starts, as Caddy finds a bad module at RegisterModule.
func Register(p Plugin) {
	if err := Validate(p); err != nil {
		panic(err.Error())
	}
	mu.Lock()
	defer mu.Unlock()
	name := p.Name()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("plugins: Register called twice for %q", name))
	}
	registry[name] = p
}

// Lookup returns the plugin registered under name.
func Lookup(name string) (Plugin, error) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("plugins: unknown exchange %q (known: %v)", name, namesLocked())
	}
	return p, nil
}

// Names returns the registered exchange ids, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Hosts returns every host name the registered plugins declare
// (Defaults.Hosts), each with the sorted ids that declare it: the table
// proxy mode routes by and the names the local CA is constrained to. A
// host may belong to several ids (spot and perpetual on one API host).
func Hosts() map[string][]string {
	mu.RLock()
	ps := make([]Plugin, 0, len(registry))
	for _, p := range registry {
		ps = append(ps, p)
	}
	mu.RUnlock()
	out := map[string][]string{}
	for _, p := range ps { // Defaults outside the lock: it may Lookup
		name := p.Name()
		for _, h := range p.Defaults().Hosts {
			if !slices.Contains(out[h], name) {
				out[h] = append(out[h], name)
			}
		}
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}
