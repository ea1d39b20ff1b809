package serve

import (
	"log"
	"log/slog"
)

// slogLogger adapts the server's structured logger to the *log.Logger the
// HTTP server reports handler panics and accept errors to.
func slogLogger(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelError)
}
