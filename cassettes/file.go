package cassettes

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Several exchanges in one file (format 4). One bot session talks to
// several exchanges; recorded through one proxy it is one file. The file's
// top level holds its own meta record (magic, format, the exchange ids in
// the order they were added, creation time) and the bucket "exchanges",
// with one bucket per exchange id laid out exactly as a format-3 file's
// top level: meta (that exchange's Meta, its series list), interactions,
// match, conns, frames, candles, every value sealed as in format 3. So an
// exchange of the file is a Cassette like any other, with its own match
// keys, volatile params, connection ids, candle index and totals, its own
// writer and batches (bbolt serialises their commits), and redaction and
// BeforeSave hooks of its own options.
//
// Files of formats 1 to 3 are single-exchange cassettes: OpenFile opens
// them read-only as a File of their one exchange, and refuses to add
// others (ErrSingleExchange): their buckets are at the top level, and
// moving them would rewrite the file.

// File is an open cassette file with every exchange it holds. Open it
// with OpenFile; Exchange gives one exchange's Cassette. Reads are safe
// for concurrent use, as are Exchange calls.
type File struct {
	db       *bolt.DB
	path     string
	readOnly bool
	opts     Options

	mu      sync.Mutex
	meta    Meta // the file's meta record (formats 1-3: the one exchange's)
	pending Meta // meta as addExchange wrote it, until its commit
	legacy  *Cassette
	views   map[string]*Cassette
	order   []string
	closed  bool
}

// OpenFile opens the cassette file at path with every exchange it holds,
// creating a format-4 file of none (with file mode mode) if it does not
// exist and opts is not ReadOnly; Exchange then adds them. opts is as for
// Open, less its per-exchange fields (Exchange, upstreams, volatile
// params, secrets, redaction, hooks, batching), which Exchange takes.
//
// A file of format 1 to 3 opens read-only as a File of its one exchange;
// for writing it gives ErrSingleExchange (use Open, which appends to it).
// Errors are Open's.
func OpenFile(path string, mode os.FileMode, opts *Options) (*File, error) {
	o, size, err := checkPath(path, opts)
	if err != nil {
		return nil, err
	}
	exists := size > 0
	f := &File{path: path, readOnly: o.ReadOnly, opts: o, views: map[string]*Cassette{}}
	if exists {
		db, meta, err := openChecked(path, o.timeout())
		if err != nil {
			return nil, err
		}
		if meta.Format < MultiFormat {
			db.Close()
			if !o.ReadOnly {
				return nil, fmt.Errorf("%w: %s is a format-%d cassette of %s; record several exchanges into a new file",
					ErrSingleExchange, path, meta.Format, meta.Exchange)
			}
			lo := o
			lo.Exchange = ""
			c, err := Open(path, mode, &lo)
			if err != nil {
				return nil, err
			}
			f.db, f.meta, f.legacy = c.db, c.Meta(), c
			return f, nil
		}
		if o.ReadOnly {
			if err := checkMetaFile(path); err != nil {
				db.Close()
				return nil, err
			}
			f.db, f.meta = db, meta
			adviseRandom(db, size)
			return f, nil
		}
		db.Close()
	}
	db, err := bolt.Open(path, mode, &bolt.Options{Timeout: o.timeout(), NoSync: o.NoSync, FreelistType: bolt.FreelistMapType, PageSize: pageSize})
	if err != nil {
		return nil, mapOpenErr(path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) != nil {
			m, err := readMeta(tx)
			if err == nil && m.Format < MultiFormat {
				// Another process turned it into one between the looks.
				err = fmt.Errorf("%w: %s is a format-%d cassette of %s", ErrSingleExchange, path, m.Format, m.Exchange)
			}
			if err != nil {
				return err
			}
			f.meta = m
			if o.ToolVersion == "" || o.ToolVersion == m.ToolVersion {
				return nil
			}
			f.meta.ToolVersion = o.ToolVersion
			return putMeta(tx, f.meta)
		}
		if exists {
			return fmt.Errorf("%w: %s has no meta record", ErrNotCassette, path)
		}
		f.meta = Meta{Magic: magic, Format: FormatVersion, ToolVersion: o.ToolVersion, Created: time.Now().UTC()}
		for _, name := range [][]byte{bucketMeta, bucketExchanges} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return putMeta(tx, f.meta)
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	f.db = db
	return f, nil
}

// openOneOf is Open of a format-4 file: the exchange opts names, or the
// file's only one, as a Cassette that closes the file with it.
func openOneOf(path string, mode os.FileMode, o Options) (*Cassette, error) {
	f, err := OpenFile(path, mode, &o)
	if err != nil {
		return nil, err
	}
	name := o.Exchange
	if name == "" {
		ids := f.Exchanges()
		if len(ids) != 1 {
			f.Close()
			if len(ids) == 0 {
				return nil, fmt.Errorf("%w: %s holds no exchange yet", ErrNoSuchExchange, path)
			}
			return nil, fmt.Errorf("%w: %s holds %s: name one, or open them all with OpenFile",
				ErrMultiExchange, path, strings.Join(ids, ", "))
		}
		name = ids[0]
	}
	c, err := f.Exchange(name, &o)
	if err != nil {
		f.Close()
		return nil, err
	}
	c.ownsFile = true
	return c, nil
}

// checkFileBuckets checks a format-4 file's top level: its buckets, and
// one exchange bucket for each id the meta record lists and no other (a
// damaged meta record or bucket name would otherwise hide an exchange).
func checkFileBuckets(tx *bolt.Tx, m Meta) error {
	ex := tx.Bucket(bucketExchanges)
	if ex == nil {
		return fmt.Errorf("%w: bucket %q missing", ErrCorrupt, bucketExchanges)
	}
	for _, id := range m.Exchanges {
		if ex.Bucket([]byte(id)) == nil {
			return corruptAt(string(bucketExchanges), []byte(id), fmt.Errorf("%w: the meta record lists exchange %s, the file has no bucket for it", ErrCorrupt, id))
		}
	}
	return ex.ForEachBucket(func(k []byte) error {
		if !slices.Contains(m.Exchanges, string(k)) {
			return corruptAt(string(bucketExchanges), k, fmt.Errorf("%w: exchange bucket not in the meta record", ErrCorrupt))
		}
		return nil
	})
}

// readExchangeMeta reads and checks the meta record of exchange name in
// a file of format format, and that its buckets are there.
func readExchangeMeta(b store, name string, format int) (Meta, error) {
	var m Meta
	bucket := string(bucketExchanges) + "/" + name + "/" + string(bucketMeta)
	mb := b.Bucket(bucketMeta)
	if mb == nil || mb.Get(keyMeta) == nil {
		return m, corruptAt(bucket, keyMeta, fmt.Errorf("%w: exchange %s has no meta record", ErrCorrupt, name))
	}
	p, err := sealing(true).open(bucket, keyMeta, mb.Get(keyMeta))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(p, &m); err != nil || m.Magic != magic || m.Exchange != name || m.Format != format {
		return m, corruptAt(bucket, keyMeta, fmt.Errorf("%w: exchange %s: meta record of %q, format %d", ErrCorrupt, name, m.Exchange, m.Format))
	}
	for _, bn := range allBuckets {
		if b.Bucket(bn) == nil {
			return m, fmt.Errorf("%w: bucket %s/%s/%s missing", ErrCorrupt, bucketExchanges, name, bn)
		}
	}
	return m, nil
}

// addExchange creates exchange name's bucket in tx and lists it in the
// file's meta record, if it is not there yet. The new meta record takes
// effect (f.meta) once the transaction commits; f.mu is held.
func (f *File) addExchange(tx *bolt.Tx, name string) error {
	if _, err := tx.Bucket(bucketExchanges).CreateBucketIfNotExists([]byte(name)); err != nil {
		return err
	}
	f.pending = f.meta
	if slices.Contains(f.meta.Exchanges, name) {
		return nil
	}
	f.pending.Exchanges = append(slices.Clone(f.meta.Exchanges), name)
	return putMeta(tx, f.pending)
}

// Exchange is the cassette of exchange name in the file, opened once and
// then shared (opts are used the first time only). Read-only, a name the
// file does not hold gives ErrNoSuchExchange. For writing, a new name is
// added to the file, and opts (nil: OpenFile's) configure what is
// recorded: Exchange is name, ReadOnly, Timeout and NoSync are the
// file's, the rest as for Open. In a file of format 1 to 3 only its own
// exchange is there.
//
// The cassette's Close closes that exchange alone (committing what it
// queued); File.Close closes them all.
func (f *File) Exchange(name string, opts *Options) (*Cassette, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	if f.legacy != nil {
		if name != f.meta.Exchange {
			return nil, fmt.Errorf("%w: %s holds %s only, not %s", ErrNoSuchExchange, f.path, f.meta.Exchange, name)
		}
		return f.legacy, nil
	}
	if c := f.views[name]; c != nil {
		return c, nil
	}
	if name == "" {
		return nil, ErrNoExchange
	}
	o := f.opts
	if opts != nil {
		o = *opts
	}
	o.ReadOnly, o.Timeout, o.NoSync, o.Exchange = f.readOnly, f.opts.Timeout, f.opts.NoSync, name
	c := &Cassette{db: f.db, path: f.path, readOnly: f.readOnly, opts: o,
		file: f, name: []byte(name), prefix: string(bucketExchanges) + "/" + name + "/"}
	if f.readOnly {
		if !slices.Contains(f.meta.Exchanges, name) {
			return nil, fmt.Errorf("%w: %s holds %s, not %s", ErrNoSuchExchange, f.path, orNone(f.meta.Exchanges), name)
		}
		err := safeView(f.db, func(tx *bolt.Tx) error {
			var err error
			c.meta, err = readExchangeMeta(c.root(tx), name, f.meta.Format)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		c.init()
	} else {
		if err := c.initWritable(true); err != nil {
			return nil, fmt.Errorf("cassettes: add %s to %s: %w", name, f.path, err)
		}
		f.meta = f.pending
		c.init()
		c.w = newWriter(c)
	}
	f.views[name] = c
	f.order = append(f.order, name)
	return c, nil
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "no exchange"
	}
	return strings.Join(ids, ", ")
}

// Exchanges are the ids the file holds, in the order they were added.
func (f *File) Exchanges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.legacy != nil {
		return []string{f.meta.Exchange}
	}
	return slices.Clone(f.meta.Exchanges)
}

// Meta is the file's meta record: for format 4 its format, creation time
// and Exchanges (each exchange's own record is its Cassette's Meta); for
// formats 1 to 3 the one exchange's record.
func (f *File) Meta() Meta {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.meta
	m.Exchanges = slices.Clone(m.Exchanges)
	m.VolatileParams = slices.Clone(m.VolatileParams)
	return m
}

// Multi reports whether the file is of format 4, holding any number of
// exchanges, rather than a single-exchange cassette.
func (f *File) Multi() bool { return f.legacy == nil }

// Path is the file's path.
func (f *File) Path() string { return f.path }

// Flush commits what every exchange opened for writing has queued.
func (f *File) Flush() error {
	var first error
	for _, c := range f.opened() {
		if c.readOnly {
			continue
		}
		if err := c.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (f *File) opened() []*Cassette {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.legacy != nil {
		return []*Cassette{f.legacy}
	}
	out := make([]*Cassette, 0, len(f.order))
	for _, name := range f.order {
		out = append(out, f.views[name])
	}
	return out
}

// Close commits what every exchange queued, closes them and the file. It
// is safe to call more than once.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	if f.legacy != nil {
		return f.legacy.Close()
	}
	var err error
	for _, name := range f.order {
		if cerr := f.views[name].closeView(); err == nil {
			err = cerr
		}
	}
	if !f.readOnly {
		if terr := trimFile(f.db, f.path); err == nil {
			err = terr
		}
	}
	if cerr := f.db.Close(); err == nil {
		err = cerr
	}
	return err
}
