package synth

import (
	"sort"
	"testing"
)

// pinExcess is the sum of the k largest excesses of a leaf's pinned
// prints (o, c, and h and l where they differ from both) over its low (or
// under its high), against a sort.
func TestPinExcess(t *testing.T) {
	var r stream
	r.reset(12345)
	for i := 0; i < 20000; i++ {
		l := int64(1000 + r.next()%50)
		h := l + int64(r.next()%6)
		o := l + int64(r.next()%uint64(h-l+1))
		c := l + int64(r.next()%uint64(h-l+1))
		n := &node{o: o, c: c, h: h, l: l}
		prices := []int64{o, c}
		if h != o && h != c {
			prices = append(prices, h)
		}
		if l != o && l != c {
			prices = append(prices, l)
		}
		if h == l {
			prices = nil
		}
		if int64(len(prices)) != n.pins() && h != l {
			t.Fatalf("%+v: %d pins, pins() %d", n, len(prices), n.pins())
		}
		for _, up := range []bool{true, false} {
			xs := make([]int64, len(prices))
			for j, p := range prices {
				xs[j] = p - l
				if !up {
					xs[j] = h - p
				}
			}
			sort.Slice(xs, func(a, b int) bool { return xs[a] > xs[b] })
			for k := int64(0); k <= 6; k++ {
				var want int64
				for j := 0; j < len(xs) && int64(j) < k; j++ {
					want += xs[j]
				}
				if got := pinExcess(n, k, up); got != want {
					t.Fatalf("%+v k=%d up=%v: %d, want %d", n, k, up, got, want)
				}
			}
		}
	}
}
