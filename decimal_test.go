package candlecassette_test

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	cc "github.com/candlecassette/candlecassette"
)

func TestParseDecimalRoundTripsExactly(t *testing.T) {
	for _, s := range []string{
		"0", "1", "-1", "42000.01000000", "0.00000001", "123456789.12345678",
		"0.000000000000000001", "-0.5", "3000", "92233720368.54775807",
	} {
		t.Run(s, func(t *testing.T) {
			d, err := cc.ParseDecimal(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.String(); got != s {
				t.Fatalf("String() = %q, want %q", got, s)
			}
		})
	}
}

func TestParseDecimalRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "-", ".", "1.2.3", "abc", "1,5", "99999999999999999999", "0.1234567890123456789"} {
		t.Run(s, func(t *testing.T) {
			if _, err := cc.ParseDecimal(s); !errors.Is(err, cc.ErrDecimal) {
				t.Fatalf("ParseDecimal(%q) error = %v, want ErrDecimal", s, err)
			}
		})
	}
}

func TestParseDecimalDropsOnlyZerosToFit(t *testing.T) {
	d, err := cc.ParseDecimal("123456789012.1234560000000000")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Fixed(6); got != "123456789012.123456" {
		t.Fatalf("got %s", got)
	}
}

func TestParseDecimalAcceptsExponent(t *testing.T) {
	d, err := cc.ParseDecimal("1e-8")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Fixed(8); got != "0.00000001" {
		t.Fatalf("got %s", got)
	}
}

func TestDecimalFormatting(t *testing.T) {
	d := cc.MustDecimal("42000.015")
	tests := []struct {
		name   string
		got    string
		expect string
	}{
		{"pads to eight places", d.Fixed(8), "42000.01500000"},
		{"rounds half away from zero", d.Fixed(2), "42000.02"},
		{"rounds negatives away from zero", cc.MustDecimal("-1.005").Fixed(2), "-1.01"},
		{"trims trailing zeros", string(cc.MustDecimal("42000.10000000").AppendTrim(nil, 8)), "42000.1"},
		{"trims the point of an integer", string(cc.MustDecimal("3.000").AppendTrim(nil, 8)), "3"},
		{"formats zero places", d.Fixed(0), "42000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.expect {
				t.Fatalf("got %q, want %q", tt.got, tt.expect)
			}
		})
	}
}

func TestDecimalArithmetic(t *testing.T) {
	a, b := cc.MustDecimal("1.5"), cc.MustDecimal("0.25")
	if got := a.Add(b).String(); got != "1.75" {
		t.Fatalf("1.5+0.25 = %s", got)
	}
	if a.Cmp(b) != 1 || b.Cmp(a) != -1 || a.Cmp(cc.MustDecimal("1.500")) != 0 {
		t.Fatal("Cmp is wrong")
	}
	if f := cc.DecimalFromFloat(0.1+0.2, 8); f.String() != "0.30000000" {
		t.Fatalf("DecimalFromFloat = %s", f)
	}
}

func TestDecimalJSON(t *testing.T) {
	var d cc.Decimal
	if err := d.UnmarshalJSON([]byte(`"0.00100000"`)); err != nil {
		t.Fatal(err)
	}
	b, _ := d.MarshalJSON()
	if string(b) != `"0.00100000"` {
		t.Fatalf("got %s", b)
	}
	if err := d.UnmarshalJSON([]byte(`12.5`)); err != nil || d.String() != "12.5" {
		t.Fatalf("number form: %v %s", err, d)
	}
}

func BenchmarkDecimalAppend(b *testing.B) {
	d := cc.MustDecimal("42000.01")
	buf := make([]byte, 0, 32)
	b.ReportAllocs()
	for b.Loop() {
		buf = d.Append(buf[:0], 8)
	}
}

// refAppend is the plain definition Append must match: |Units| scaled to
// places digits with math/big, rounded half away from zero, sign kept
// unless the result is zero.
func refAppend(d cc.Decimal, places int) string {
	places = min(max(places, 0), 18)
	n := new(big.Int).Abs(big.NewInt(d.Units))
	ten := big.NewInt(10)
	if k := places - int(d.Scale); k >= 0 {
		n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(k)), nil))
	} else {
		p := new(big.Int).Exp(ten, big.NewInt(int64(-k)), nil)
		q, r := new(big.Int).QuoRem(n, p, new(big.Int))
		if r.Lsh(r, 1).Cmp(p) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		n = q
	}
	digits := n.String()
	if len(digits) <= places {
		digits = strings.Repeat("0", places+1-len(digits)) + digits
	}
	s := digits
	if places > 0 {
		s = digits[:len(digits)-places] + "." + digits[len(digits)-places:]
	}
	if d.Units < 0 && n.Sign() != 0 {
		s = "-" + s
	}
	return s
}

func TestDecimalAppendMatchesReference(t *testing.T) {
	units := []int64{
		0, 1, -1, 5, -5, 9, 10, 99, 100, 12345678, 99999999, 100000000, 4200001000000,
		-4200001000000, 999999999999999999, 1000000000000000000, math.MaxInt64,
		math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1, 5_000_000_000_000_000_000 / 1000,
	}
	for k := 0; k <= 18; k++ {
		p := int64(1)
		for range k {
			p *= 10
		}
		units = append(units, p, -p, p-1, 1-p, p/2, -p/2, 5*p/10, p+p/2)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1500 {
		// Mantissas of every length, both signs.
		u := int64(rng.Uint64() >> rng.IntN(64))
		if rng.IntN(2) == 0 {
			u = -u
		}
		units = append(units, u)
	}
	checked := 0
	// A short buffer (Append must grow it) and one with room to spare
	// whose spare bytes are dirty (the fast path writes into them).
	short := []byte("x:")
	roomy := make([]byte, 2, 64)
	for _, u := range units {
		for scale := -2; scale <= 20; scale++ {
			for places := -1; places <= 19; places++ {
				d := cc.Decimal{Units: u, Scale: int8(scale)}
				want := refAppend(d, places)
				for _, b := range [][]byte{short, roomy} {
					b = b[:2]
					copy(b, "x:")
					for i := 2; i < cap(b); i++ {
						b[:cap(b)][i] = '#'
					}
					got := d.Append(b, places)
					if string(got[:2]) != "x:" || string(got[2:]) != want {
						t.Fatalf("Decimal{%d, %d}.Append(places %d, cap %d) = %q, want %q", u, scale, places, cap(b), got, want)
					}
				}
				checked++
			}
		}
	}
	t.Logf("%d values match", checked)
}

func TestDecimalAppendTrimMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		d := cc.Decimal{Units: int64(rng.Uint64()>>rng.IntN(64)) * int64(1-2*rng.IntN(2)), Scale: int8(rng.IntN(19))}
		places := rng.IntN(19)
		want := refAppend(d, places)
		if strings.Contains(want, ".") {
			want = strings.TrimRight(strings.TrimRight(want, "0"), ".")
		}
		if got := string(d.AppendTrim(nil, places)); got != want {
			t.Fatalf("Decimal{%d, %d}.AppendTrim(%d) = %q, want %q", d.Units, d.Scale, places, got, want)
		}
	}
}

// FuzzDecimalAppend compares Append with refAppend on any mantissa, scale
// and places (go test -fuzz FuzzDecimalAppend to search beyond the seeds).
func FuzzDecimalAppend(f *testing.F) {
	f.Add(int64(4200001), int8(2), 8)
	f.Add(int64(math.MinInt64), int8(18), 18)
	f.Add(int64(math.MaxInt64), int8(0), 18)
	f.Add(int64(-5), int8(1), 0)
	f.Add(int64(1704067200000), int8(0), 0)
	f.Fuzz(func(t *testing.T, units int64, scale int8, places int) {
		d := cc.Decimal{Units: units, Scale: scale}
		if scale < -30 || scale > 40 {
			t.Skip("refAppend builds 10^|scale| with math/big")
		}
		want := refAppend(d, places)
		if got := string(d.Append(make([]byte, 0, 64), places)); got != want {
			t.Fatalf("Decimal{%d, %d}.Append(%d) = %q, want %q", units, scale, places, got, want)
		}
	})
}

// TestDecimalAppendKeepsBufferOnStack guards the encoders' zero-allocation
// paths: a buffer on the caller's stack must stay there (it would move to
// the heap if Append leaked b anywhere but its result).
func TestDecimalAppendKeepsBufferOnStack(t *testing.T) {
	d := cc.MustDecimal("42000.01")
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		var buf [64]byte
		n += len(d.Append(buf[:0], 8))
	})
	if allocs != 0 {
		t.Fatalf("Append into a stack buffer: %v allocations per run, want 0", allocs)
	}
}

func TestDecimalMul(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"50000.01", "0.00012", "6.0000012"},
		{"-1.5", "2", "-3.0"},
		{"0.000000001", "0.0000000015", "0.000000000000000002"},
		{"0.000000001", "0.0000000014", "0.000000000000000001"},
		// Beyond int64 units: fractional digits give way, exactly rounded.
		{"92233720.36854775", "1000.00000005", "92233720373.1594360"},
		{"-92233720.36854775", "1000.00000005", "-92233720373.1594360"},
		{"123456789012.345678", "98765.4321", "12193263112482853.12"},
		{"9223372036854775807", "-1", "-9223372036854775807"},
		{"9223372036854775807", "2", "9223372036854775807"},
		{"-9223372036854775807", "2", "-9223372036854775808"},
	} {
		got := cc.MustDecimal(c.a).Mul(cc.MustDecimal(c.b)).String()
		if got != c.want {
			t.Errorf("%s × %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
}
