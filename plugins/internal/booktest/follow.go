package booktest

import (
	"fmt"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

// Follower keeps a book from a BookDecoder's sets as a client of the
// stream does, for the decoders' round-trip tests: a snapshot replaces
// the book, a diff is applied to it (kept to Depth levels a side, 0:
// all). A diff with ids must continue the book: the first after a
// snapshot covers Seq+1 (FirstSeq <= Seq+1 <= LastSeq), the next ones
// start at Seq+1 — or repeat the last id (FirstSeq = LastSeq = Seq), as
// the extra changes of a step kit.SplitDiff spreads do. A diff without ids (Kraken,
// Coinbase) is applied as it comes.
type Follower struct {
	Book  cc.Book
	Depth int
	// Snapshots and Diffs count what was applied.
	Snapshots, Diffs int
	synced           bool
}

// Apply applies s.
func (f *Follower) Apply(s plugins.BookSet) error {
	if s.Diff == nil {
		f.Book = s.Book
		f.Snapshots++
		f.synced = false
		return nil
	}
	if f.Snapshots == 0 {
		return fmt.Errorf("booktest: a diff %d-%d before any snapshot", s.Diff.FirstSeq, s.Diff.LastSeq)
	}
	d := *s.Diff
	switch {
	case d.LastSeq == 0 && d.FirstSeq == 0: // no ids: the book keeps none
		f.Book.Seq, d.FirstSeq, d.LastSeq = 0, 1, 1
	case d.FirstSeq == d.LastSeq && d.LastSeq == f.Book.Seq && f.synced: // a repeated id
		f.Book.Seq--
	case !f.synced && f.Book.Seq == 0: // a snapshot without an id: the first diff after it
	case !f.synced && (d.FirstSeq > f.Book.Seq+1 || d.LastSeq <= f.Book.Seq):
		return fmt.Errorf("booktest: diff %d-%d does not cover snapshot %d+1", d.FirstSeq, d.LastSeq, f.Book.Seq)
	case f.synced && d.FirstSeq != f.Book.Seq+1:
		return fmt.Errorf("booktest: diff %d-%d after %d", d.FirstSeq, d.LastSeq, f.Book.Seq)
	}
	if err := f.Book.ApplyDiff(d, f.Depth); err != nil {
		return err
	}
	if s.Diff.LastSeq == 0 {
		f.Book.Seq = 0
	}
	f.synced = true
	f.Diffs++
	return nil
}
