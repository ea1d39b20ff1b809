package cassettes

// Hooks are a stage run on everything a cassette is given to save, before
// it is redacted and queued: go-vcr's BeforeSaveHook. The recorder owns
// the stage and passes it in Options.BeforeSave (record.Options.BeforeSave);
// a nil field is skipped.
//
// Hooks see values as they were captured, and redaction always runs after
// them, so no hook can put a secret into the file. A hook runs on the
// goroutine that called AddInteraction, BeginConn or AddFrame (the
// recorder has one), and must be safe for concurrent use if those are
// called concurrently.
type Hooks struct {
	// Interaction may change ix in place (headers, query, bodies); the
	// match key is computed after it.
	Interaction func(ix *Interaction)
	// Conn returns the URL (path and query) to store for a WS connection
	// opened to url.
	Conn func(url string) string
	// Frame may change f in place (its payload, its stream label), not
	// its connection.
	Frame func(f *Frame)
}
