package wiretest_test

import (
	"testing"

	"github.com/candlecassette/candlecassette/plugins/internal/wiretest"
)

func TestShapeKeepsKeyOrderAndKinds(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"scalars", `{"a":"x","b":1,"c":true,"d":null}`, `{a:string,b:number,c:bool,d:null}`},
		{"lists of rows by the first row", `[[1,"2"],[3]]`, `[[number,string]]`},
		{"scalar tuples keep every column", `["1","2",3]`, `[string,string,number]`},
		{"empty array", `{"x":[]}`, `{x:[]}`},
		{"key order matters", `{"b":1,"a":1}`, `{b:number,a:number}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := wiretest.Shape([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("Shape(%s) = %s, want %s", c.in, got, c.want)
			}
		})
	}
	if got, _ := wiretest.UnorderedShape([]byte(`{"b":1,"a":{"d":"x","c":null}}`)); got != `{a:{c:null,d:string},b:number}` {
		t.Fatalf("UnorderedShape = %s", got)
	}
	if _, err := wiretest.Shape([]byte(`{"a":1} x`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}
