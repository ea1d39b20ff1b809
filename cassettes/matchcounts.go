package cassettes

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// MatchCounts counts the interactions recorded under each match key (see
// MatchKey), from the match index alone: no interaction is decoded, so it
// is cheap on a large cassette. Replay's report lists the keys a session
// never asked for.
func (c *Cassette) MatchCounts() (map[string]int, error) {
	out := map[string]int{}
	err := c.view(func(tx *bolt.Tx) error {
		return c.root(tx).Bucket(bucketMatch).ForEach(func(k, v []byte) error {
			if _, err := c.sealed.open(string(bucketMatch), k, v); err != nil {
				return err
			}
			if i := bytes.IndexByte(k, 0); i >= 0 && len(k) == i+9 {
				out[string(k[:i])]++
			}
			return nil
		})
	})
	return out, err
}
