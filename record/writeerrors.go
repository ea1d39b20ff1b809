package record

import (
	"log/slog"
	"sync"
	"time"
)

// maxDistinctErrors bounds the distinct error texts kept: an error that
// names a changing value must not grow the tally without end.
const maxDistinctErrors = 32

// WriteErrors is the tally of what the recorder failed to write to the
// cassette while the proxy went on answering: a full disk, a failed
// commit. It is the "recorder" section of /__admin/status in record mode.
type WriteErrors struct {
	// Count is how many writes the cassette refused: queued items
	// (interactions, WS frames, connection starts and ends), flushes and
	// the final commit at Close. Items of a batch whose commit failed are
	// counted once, through the next write that reports the failure.
	Count int64 `json:"write_errors"`
	// LastError is the text of the latest failure, LastErrorAt its time.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Errors are the distinct failures (by error text), in the order they
	// first happened; at most 32 are kept, later ones only counted.
	Errors []ErrorCount `json:"errors"`
}

// ErrorCount is one distinct write failure and how often it happened.
type ErrorCount struct {
	Error   string    `json:"error"`
	Count   int64     `json:"count"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
}

// errorTally counts write failures and logs each distinct one once: a
// recorder whose disk is full fails every write the same way, and one log
// line per write would bury the one that matters.
type errorTally struct {
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	w        WriteErrors
	byText   map[string]int // index into w.Errors
	overflow bool           // maxDistinctErrors reached and said so
}

func (t *errorTally) add(err error) {
	text := err.Error()
	now := t.now()
	t.mu.Lock()
	t.w.Count++
	t.w.LastError, t.w.LastErrorAt = text, now
	i, seen := t.byText[text]
	var logNew, logOverflow bool
	switch {
	case seen:
		t.w.Errors[i].Count++
		t.w.Errors[i].LastAt = now
	case len(t.w.Errors) < maxDistinctErrors:
		if t.byText == nil {
			t.byText = map[string]int{}
		}
		t.byText[text] = len(t.w.Errors)
		t.w.Errors = append(t.w.Errors, ErrorCount{Error: text, Count: 1, FirstAt: now, LastAt: now})
		logNew = true
	case !t.overflow:
		t.overflow, logOverflow = true, true
	}
	t.mu.Unlock()
	switch {
	case logNew:
		t.logger.Error("recording failed: the cassette lacks what this write held; the proxy goes on answering, "+
			"and repeats of this error are counted in /__admin/status instead of logged", "err", err)
	case logOverflow:
		t.logger.Error("recording failed in more than 32 distinct ways; further new errors are only counted", "err", err)
	}
}

func (t *errorTally) snapshot() WriteErrors {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.w
	w.Errors = append([]ErrorCount{}, t.w.Errors...)
	return w
}
