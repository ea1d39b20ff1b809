package candlecassette_test

import (
	"errors"
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
