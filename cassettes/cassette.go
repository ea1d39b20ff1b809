package cassettes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FormatVersion is the newest cassette format this build writes; it reads
// formats OldestFormat to FormatVersion. A file with another version gives
// ErrVersion. Format 2 added candle blocks of kind 7 and interaction
// records compressed with RecordDictionary, which format-1 readers cannot
// decode: opening a format-1 file for writing marks it format 2. Format 3
// seals every value with a checksum (checksum.go). A file of format 1 or
// 2 opened for writing is not sealed after the fact: it stays unsealed
// (format 2) throughout, so a file never claims checksums some of its
// values lack. Format 4 holds several exchanges, each in a bucket of its
// own laid out as a format-3 file is (file.go); Open still creates a
// single-exchange cassette in format 3, OpenFile a format-4 file.
const FormatVersion = 4

// SingleFormat is the format of a new single-exchange cassette (Open):
// the newest whose file holds one exchange at its top level, so that
// builds before format 4 read it.
const SingleFormat = 3

// SealedFormat is the first format whose values carry checksums.
const SealedFormat = 3

// MultiFormat is the first format that holds several exchanges, each in
// its own bucket under "exchanges" (file.go).
const MultiFormat = 4

// OldestFormat is the oldest format this build reads.
const OldestFormat = 1

// pageSize is the bbolt page size of new cassettes. Candle blocks and
// bodies are values of a few KB that bbolt stores in whole pages; small
// pages waste less of the last one. (An existing file keeps its own.)
const pageSize = 1024

// magic marks the meta record of a cassette, telling it apart from any
// other bbolt database.
const magic = "candlecassette"

// Defaults for Options fields left zero.
const (
	DefaultTimeout       = time.Second
	DefaultFlushInterval = time.Second
	DefaultBatchItems    = 1000
)

var (
	bucketMeta         = []byte("meta")
	bucketInteractions = []byte("interactions")
	bucketMatch        = []byte("match")
	bucketConns        = []byte("conns")
	bucketFrames       = []byte("frames")
	bucketCandles      = []byte("candles")
	keyMeta            = []byte("meta")
	allBuckets         = [][]byte{bucketMeta, bucketInteractions, bucketMatch, bucketConns, bucketFrames, bucketCandles}
	// bucketExchanges holds a format-4 file's exchanges, one bucket each
	// (named by id) holding allBuckets.
	bucketExchanges = []byte("exchanges")
)

// store is where one exchange's buckets are: the file's top level
// (*bolt.Tx) in formats 1 to 3, the exchange's bucket under "exchanges"
// (*bolt.Bucket) in format 4.
type store interface {
	Bucket(name []byte) *bolt.Bucket
	CreateBucketIfNotExists(name []byte) (*bolt.Bucket, error)
}

// Options configure Open. A nil *Options, and the zero value of every
// field, mean the documented defaults.
type Options struct {
	// ReadOnly opens the file for reading only, under a shared lock, so
	// several processes (parallel replays) can read one cassette at once.
	// Writes then return ErrReadOnly.
	ReadOnly bool
	// Timeout is how long Open waits for the file lock held by another
	// process before giving up with ErrLocked. 0 means DefaultTimeout; a
	// negative value means wait forever.
	Timeout time.Duration

	// Exchange is the exchange id being recorded. It is required to create
	// a cassette; when opening an existing one for writing, a different
	// exchange gives ErrExchangeMismatch. Ignored for ReadOnly.
	Exchange string
	// ToolVersion, UpstreamREST and UpstreamWS are written to the meta
	// record when the cassette is created (or updated when appending).
	ToolVersion  string
	UpstreamREST string
	UpstreamWS   string
	// VolatileParams are query, form and JSON body params left out of the
	// match key (timestamps, nonces, ...), added to DefaultVolatileParams.
	// They are stored in the meta record so replay matches the same way.
	VolatileParams []string
	// Secrets are an exchange's own secret headers, params and WS login
	// verbs, redacted on top of the generic names (DefaultSecretHeaders,
	// DefaultSecretParams, the generic login verbs). The recorder fills
	// them in from the plugins' declarations.
	Secrets Secrets
	// Redact names extra headers, params and JSON keys whose values are
	// replaced by "REDACTED" before anything is written, each both as a
	// header and as a param.
	Redact []string
	// BeforeSave is a stage run on every interaction, WS connection and
	// frame given to the cassette, before it is redacted and queued (see
	// Hooks).
	BeforeSave Hooks

	// FlushInterval is the longest a write waits in memory before its batch
	// is committed; 0 means DefaultFlushInterval.
	FlushInterval time.Duration
	// BatchItems commits a batch early once it holds this many items
	// (interactions, frames, candle series); 0 means DefaultBatchItems.
	BatchItems int
	// OnCommit, if set, is called from the writer goroutine after each
	// batch is durably committed.
	OnCommit func(CommitInfo)
	// NoSync skips fsync on commit: faster, but a crash may lose more than
	// the last batch. For tests and benchmarks only.
	NoSync bool
}

func (o *Options) timeout() time.Duration {
	switch {
	case o.Timeout == 0:
		return DefaultTimeout
	case o.Timeout < 0:
		return 0 // bbolt: wait forever
	}
	return o.Timeout
}

// Meta is the cassette's meta record.
type Meta struct {
	Magic          string   `json:"magic"`
	Format         int      `json:"format"`
	Exchange       string   `json:"exchange"`
	ToolVersion    string   `json:"tool_version,omitempty"`
	UpstreamREST   string   `json:"upstream_rest,omitempty"`
	UpstreamWS     string   `json:"upstream_ws,omitempty"`
	VolatileParams []string `json:"volatile_params,omitempty"`
	// Exchanges are the ids a format-4 file holds, in the order they were
	// added: in the file's own meta record only, whose Exchange is empty.
	// An exchange's meta record in such a file names that exchange alone.
	Exchanges []string  `json:"exchanges,omitempty"`
	Created   time.Time `json:"created"`
	// From and To are the recorded time range: the first request or frame
	// and the last response or frame. Zero until something is recorded.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Totals, kept up to date with each batch.
	Interactions int64 `json:"interactions"`
	Conns        int64 `json:"conns"`
	Frames       int64 `json:"frames"`
	// RawBytes is the uncompressed size of everything recorded (request
	// and response lines, headers and bodies, frame payloads).
	RawBytes int64 `json:"raw_bytes"`
	// StoredBytes is the size of the encoded values written for them.
	StoredBytes int64 `json:"stored_bytes"`
}

// Cassette is an open cassette file. Reads are safe for concurrent use;
// writes go through a single background writer (see AddInteraction).
type Cassette struct {
	db       *bolt.DB
	path     string
	readOnly bool
	// file is the format-4 file this cassette is one exchange of, or nil;
	// its buckets are then under exchanges/<name>, and prefix
	// ("exchanges/<name>/") names them in errors. ownsFile: Close closes
	// the file too (an exchange opened with Open rather than OpenFile).
	file     *File
	name     []byte
	prefix   string
	ownsFile bool
	// sealed: the values carry checksums (format 3 on).
	sealed   sealing
	volatile map[string]bool
	red      *redactor
	opts     Options

	metaMu sync.Mutex
	meta   Meta

	nextConn atomic.Uint64
	w        *writer
	// blocksRead counts candle block reads since the mapped pages were
	// last released (read-only cassettes; see residentBlocks).
	blocksRead atomic.Int64
	closed     atomic.Bool
	closeMu    sync.Mutex

	// seriesMu guards series: each candle series' bucket key and the
	// bucket name errors give, made once rather than on every read.
	seriesMu sync.RWMutex
	series   map[SeriesKey]seriesNames
}

// seriesNames are a candle series' bucket key and its name in errors.
type seriesNames struct {
	key  []byte
	name string
}

// seriesNamesOf returns k's bucket key and error name, made on first use:
// a window read on the replay hot path allocates neither.
func (c *Cassette) seriesNamesOf(k SeriesKey) seriesNames {
	c.seriesMu.RLock()
	sn, ok := c.series[k]
	c.seriesMu.RUnlock()
	if ok {
		return sn
	}
	sn = seriesNames{key: k.bucket(), name: candleBucket(k)}
	c.seriesMu.Lock()
	if c.series == nil {
		c.series = map[SeriesKey]seriesNames{}
	}
	if len(c.series) < 4096 { // bounded: symbols come from requests
		c.series[k] = sn
	}
	c.seriesMu.Unlock()
	return sn
}

// checkPath copies opts (nil means defaults) and gives the size of the
// file at path (0: none, or empty): a directory is no cassette, and a
// read-only open needs a non-empty file.
func checkPath(path string, opts *Options) (o Options, size int64, err error) {
	if opts != nil {
		o = *opts
	}
	fi, statErr := os.Stat(path)
	if statErr == nil && fi.IsDir() {
		return o, 0, fmt.Errorf("%w: %s is a directory", ErrNotCassette, path)
	}
	if statErr == nil {
		size = fi.Size()
	}
	if o.ReadOnly && size == 0 {
		if statErr != nil {
			return o, 0, fmt.Errorf("cassettes: open %s: %w", path, statErr)
		}
		return o, 0, fmt.Errorf("%w: %s is empty", ErrNotCassette, path)
	}
	return o, size, nil
}

// Open opens the cassette at path, creating it with file mode mode if it
// does not exist and opts is not ReadOnly. See Options; nil means defaults.
//
// A file that is not a cassette gives ErrNotCassette, a wrong format
// version ErrVersion, a truncated or damaged file ErrTruncated or
// ErrCorrupt, a lock held elsewhere ErrLocked; Open never panics on a bad
// file.
func Open(path string, mode os.FileMode, opts *Options) (*Cassette, error) {
	o, size, err := checkPath(path, opts)
	if err != nil {
		return nil, err
	}
	exists := size > 0
	c := &Cassette{path: path, readOnly: o.ReadOnly, opts: o}
	if exists {
		// Validate under a read-only open first: a writable bbolt open
		// reads the free list, which on a truncated file lies past its end.
		db, meta, err := openChecked(path, o.timeout())
		if err != nil {
			return nil, err
		}
		if meta.Format >= MultiFormat {
			db.Close()
			return openOneOf(path, mode, o)
		}
		if o.ReadOnly && meta.Format >= SealedFormat {
			if err := checkMetaFile(path); err != nil {
				db.Close()
				return nil, err
			}
		}
		if o.ReadOnly {
			c.db, c.meta = db, meta
			adviseRandom(db, size)
			c.init()
			return c, nil
		}
		db.Close()
		if o.Exchange != "" && meta.Exchange != o.Exchange {
			return nil, fmt.Errorf("%w: %s holds %s, not %s", ErrExchangeMismatch, path, meta.Exchange, o.Exchange)
		}
	} else if o.Exchange == "" {
		return nil, ErrNoExchange
	}
	db, err := bolt.Open(path, mode, &bolt.Options{Timeout: o.timeout(), NoSync: o.NoSync, FreelistType: bolt.FreelistMapType, PageSize: pageSize})
	if err != nil {
		return nil, mapOpenErr(path, err)
	}
	c.db = db
	if err := c.initWritable(exists); err != nil {
		db.Close()
		return nil, err
	}
	c.init()
	c.w = newWriter(c)
	return c, nil
}

// openChecked opens path read-only and checks it is a complete cassette
// of a supported version.
func openChecked(path string, timeout time.Duration) (*bolt.DB, Meta, error) {
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil, Meta{}, mapOpenErr(path, err)
	}
	var meta Meta
	err = safeView(db, func(tx *bolt.Tx) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: %s is %d bytes, its pages need %d", ErrTruncated, path, fi.Size(), tx.Size())
		}
		meta, err = readMeta(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, Meta{}, fmt.Errorf("%s: %w", path, err)
	}
	return db, meta, nil
}

// checkMetaFile runs checkPages on the file at path.
func checkMetaFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cassettes: open %s: %w", path, err)
	}
	defer f.Close()
	if err := checkPages(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func mapOpenErr(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: %s", ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("%w: %s is not a bbolt database", ErrNotCassette, path)
	case errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("%w: %s: meta page checksum", ErrCorrupt, path)
	case strings.Contains(err.Error(), "file size too small"):
		return fmt.Errorf("%w: %s: %v", ErrTruncated, path, err)
	}
	return fmt.Errorf("cassettes: open %s: %w", path, err)
}

func readMeta(tx *bolt.Tx) (Meta, error) {
	var m Meta
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return m, fmt.Errorf("%w: no meta record", ErrNotCassette)
	}
	raw := b.Get(keyMeta)
	if raw == nil {
		return m, fmt.Errorf("%w: no meta record", ErrNotCassette)
	}
	js, sealed, err := openMeta(raw)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(js, &m); err != nil || m.Magic != magic {
		return m, fmt.Errorf("%w: unrecognised meta record", ErrNotCassette)
	}
	if m.Format < OldestFormat || m.Format > FormatVersion {
		return m, fmt.Errorf("%w: file has format %d, this build reads %d to %d", ErrVersion, m.Format, OldestFormat, FormatVersion)
	}
	if sealed != (m.Format >= SealedFormat) {
		// A seal that does not match the format is damage, not a format.
		return m, corruptAt(string(bucketMeta), keyMeta, fmt.Errorf("%w: format %d meta record sealed=%v", ErrCorrupt, m.Format, sealed))
	}
	if m.Format >= MultiFormat {
		return m, checkFileBuckets(tx, m)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return m, fmt.Errorf("%w: bucket %q missing", ErrCorrupt, name)
		}
	}
	return m, nil
}

func (c *Cassette) initWritable(exists bool) error {
	o := c.opts
	return c.db.Update(func(tx *bolt.Tx) error {
		if c.file != nil {
			if err := c.file.addExchange(tx, string(c.name)); err != nil {
				return err
			}
		}
		var m Meta
		if c.root(tx).Bucket(bucketMeta) == nil {
			if exists && c.file == nil {
				return fmt.Errorf("%w: %s has no meta record", ErrNotCassette, c.path)
			}
			m = Meta{Magic: magic, Format: SingleFormat, Exchange: o.Exchange, Created: time.Now().UTC()}
			if c.file != nil {
				m.Format = c.file.meta.Format
			}
		} else {
			var err error
			if c.file != nil {
				m, err = readExchangeMeta(c.root(tx), string(c.name), c.file.meta.Format)
			} else {
				m, err = readMeta(tx)
			}
			if err != nil {
				return err
			}
			// What this build appends needs a reader of format 2 at
			// least; an unsealed file stays unsealed (see FormatVersion).
			m.Format = max(m.Format, 2)
		}
		if o.ToolVersion != "" {
			m.ToolVersion = o.ToolVersion
		}
		if o.UpstreamREST != "" {
			m.UpstreamREST = o.UpstreamREST
		}
		if o.UpstreamWS != "" {
			m.UpstreamWS = o.UpstreamWS
		}
		for _, p := range o.VolatileParams {
			if !slices.Contains(m.VolatileParams, p) {
				m.VolatileParams = append(m.VolatileParams, p)
			}
		}
		for _, name := range allBuckets {
			if _, err := c.root(tx).CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		c.meta = m
		c.sealed = m.Format >= SealedFormat
		if seq := c.root(tx).Bucket(bucketConns).Sequence(); seq > 0 {
			c.nextConn.Store(seq)
		}
		return putMeta(c.root(tx), m)
	})
}

func putMeta(tx store, m Meta) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return sealing(m.Format >= SealedFormat).put(tx.Bucket(bucketMeta), keyMeta, raw)
}

func (c *Cassette) init() {
	c.sealed = c.meta.Format >= SealedFormat
	c.volatile = volatileSet(c.meta.VolatileParams)
	c.red = newRedactor(c.opts.Secrets, c.opts.Redact)
	if !c.readOnly {
		return
	}
	_ = safeView(c.db, func(tx *bolt.Tx) error {
		c.nextConn.Store(c.root(tx).Bucket(bucketConns).Sequence())
		return nil
	})
}

// safeView runs fn in a read transaction and turns a panic inside bbolt
// (a damaged page) into ErrCorrupt.
func safeView(db *bolt.DB, fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	return db.View(fn)
}

// view is safeView on c, failing after Close. Damage found in an
// exchange of a format-4 file is named by its full bucket path.
func (c *Cassette) view(fn func(tx *bolt.Tx) error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err := safeView(c.db, fn)
	var ce *CorruptError
	if c.prefix != "" && errors.As(err, &ce) && !strings.HasPrefix(ce.Bucket, string(bucketExchanges)+"/") {
		ce.Bucket = c.prefix + ce.Bucket
	}
	return err
}

// root is where c's buckets are in tx (see store).
func (c *Cassette) root(tx *bolt.Tx) store {
	if c.file == nil {
		return tx
	}
	b := tx.Bucket(bucketExchanges).Bucket(c.name)
	if b == nil {
		// Checked at open: only a file changed under a read-only open
		// (which bbolt's locks rule out) gets here.
		panic(fmt.Sprintf("cassettes: exchange bucket %s missing", c.name))
	}
	return b
}

// Path is the file the cassette was opened from.
func (c *Cassette) Path() string { return c.path }

// ReadOnly reports whether the cassette was opened read-only.
func (c *Cassette) ReadOnly() bool { return c.readOnly }

// Meta returns the meta record as of the last committed batch.
func (c *Cassette) Meta() Meta {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	m := c.meta
	m.VolatileParams = slices.Clone(m.VolatileParams)
	return m
}

// Close flushes pending writes, commits them and closes the file. It is
// safe to call more than once.
func (c *Cassette) Close() error {
	if c.file != nil {
		if c.ownsFile {
			return c.file.Close()
		}
		return c.closeView()
	}
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed.Load() {
		return nil
	}
	var err error
	if c.w != nil {
		err = c.w.close()
		if terr := trimFile(c.db, c.path); err == nil {
			err = terr
		}
	}
	c.closed.Store(true)
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// closeView closes an exchange of a format-4 file: its writer commits
// what is queued and stops; the file stays open.
func (c *Cassette) closeView() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed.Load() {
		return nil
	}
	var err error
	if c.w != nil {
		err = c.w.close()
	}
	c.closed.Store(true)
	return err
}

// trimFile gives back what bbolt grew the file by ahead, in large steps,
// and its pages do not use, so the file is as small as its data. It runs
// while the writer's lock is still held, once nothing touches the pages
// past the last one any more.
func trimFile(db *bolt.DB, path string) error {
	var used int64
	_ = safeView(db, func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if fi, err := os.Stat(path); err == nil && used > 0 && fi.Size() > used {
		return os.Truncate(path, used)
	}
	return nil
}
