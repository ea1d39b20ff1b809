package plugins

// Unregister removes a plugin registered by a test, so a fake plugin does
// not leak into suites that iterate Names.
func Unregister(name string) {
	mu.Lock()
	defer mu.Unlock()
	delete(registry, name)
}
