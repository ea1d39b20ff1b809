package h1

// A connection Front put in place without a file descriptor — a *tls.Conn
// above all — has no writev: crypto/tls turns every Write into records of
// its own, at least one per Write and each sent with its own write system
// call. Writing a response's parts (head, body, chunk framing) one Write
// each would send the head as a record of a few hundred bytes ahead of the
// body, and a body under 16 KB as two records where one does. So the parts
// are gathered into records' worth: every Write but the last covers whole
// records, copying at most one record's worth at each end of the body; a
// socket keeps its writev (response.send).

// maxRecord is the most plaintext one TLS record carries (RFC 8446
// section 5.1, and TLS 1.2's): crypto/tls fills records up to it once its
// dynamic record sizing is off or done ramping up.
const maxRecord = 16 << 10

// writeGathered writes bufs, in order, to c.rwc in as few Writes as leave
// every record but the last full: parts shorter than a record are copied
// together (into c.gbuf, one record long), whole records of a long part
// are written from it uncopied.
func (c *conn) writeGathered(bufs [][]byte) error {
	var one []byte
	parts := 0
	for _, b := range bufs {
		if len(b) > 0 {
			one = b
			parts++
		}
	}
	switch parts {
	case 0:
		return nil
	case 1:
		_, err := c.rwc.Write(one)
		return err
	}
	if c.gbuf == nil {
		c.gbuf = make([]byte, 0, maxRecord)
	}
	g := c.gbuf[:0]
	for _, b := range bufs {
		if len(g) > 0 || len(b) < maxRecord {
			k := min(len(b), maxRecord-len(g))
			g = append(g, b[:k]...)
			if b = b[k:]; len(g) < maxRecord {
				continue // b is all in g
			}
			if _, err := c.rwc.Write(g); err != nil {
				return err
			}
			g = g[:0]
		}
		if whole := len(b) - len(b)%maxRecord; whole > 0 {
			if _, err := c.rwc.Write(b[:whole]); err != nil {
				return err
			}
			b = b[whole:]
		}
		g = append(g, b...)
	}
	c.gbuf = g[:0]
	if len(g) > 0 {
		_, err := c.rwc.Write(g)
		return err
	}
	return nil
}
