package cassettes

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package that concerns the
// file itself wraps one of these, so callers test with errors.Is.
var (
	// ErrNotCassette: the file is not a bbolt database, or is one without a
	// cassette meta record.
	ErrNotCassette = errors.New("cassettes: not a cassette file")
	// ErrVersion: the cassette was written in a format version this build
	// does not read.
	ErrVersion = errors.New("cassettes: unsupported format version")
	// ErrTruncated: the file is shorter than its own page table says.
	ErrTruncated = errors.New("cassettes: file is truncated")
	// ErrCorrupt: a record or page could not be decoded.
	ErrCorrupt = errors.New("cassettes: file is corrupt")
	// ErrLocked: another process holds the file open for writing (or, for
	// a writer, for reading) and the lock was not released within
	// Options.Timeout.
	ErrLocked = errors.New("cassettes: file is locked by another process")
	// ErrExchangeMismatch: a cassette of one exchange was opened for
	// recording another.
	ErrExchangeMismatch = errors.New("cassettes: cassette belongs to another exchange")
	// ErrSingleExchange: a cassette of format 1 to 3, which holds one
	// exchange at its top level, was opened to take several (OpenFile for
	// writing).
	ErrSingleExchange = errors.New("cassettes: a single-exchange cassette cannot hold other exchanges")
	// ErrNoSuchExchange: the file holds no recording of the exchange asked
	// for.
	ErrNoSuchExchange = errors.New("cassettes: exchange not in the cassette")
	// ErrMultiExchange: Open was given a file of several exchanges without
	// naming one (Options.Exchange); OpenFile opens them all.
	ErrMultiExchange = errors.New("cassettes: cassette holds several exchanges")
	// ErrReadOnly: a write on a cassette opened with Options.ReadOnly.
	ErrReadOnly = errors.New("cassettes: cassette is open read-only")
	// ErrClosed: use of a closed cassette or writer.
	ErrClosed = errors.New("cassettes: cassette is closed")
	// ErrNoExchange: a new cassette was created without Options.Exchange.
	ErrNoExchange = errors.New("cassettes: a new cassette needs an exchange id")
	// ErrChecksum: a stored value does not match its checksum (format 3
	// on). It wraps ErrCorrupt, and reaches callers inside a
	// *CorruptError naming the bucket and key.
	ErrChecksum = fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
)
