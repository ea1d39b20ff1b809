package candlecassette_test

import (
	"encoding/json"
	"testing"
	"time"

	cc "github.com/candlecassette/candlecassette"
)

func TestDurationJSON(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		json string
	}{
		{time.Minute, `"1m"`},
		{90 * time.Minute, `"1h30m"`},
		{2 * time.Hour, `"2h"`},
		{500 * time.Millisecond, `"500ms"`},
		{61 * time.Second, `"1m1s"`},
		{0, `"0s"`},
	} {
		b, err := json.Marshal(cc.Duration(tc.d))
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.d, b, err, tc.json)
		}
		var back cc.Duration
		if err := json.Unmarshal(b, &back); err != nil || time.Duration(back) != tc.d {
			t.Errorf("Unmarshal(%s) = %v, %v", b, time.Duration(back), err)
		}
	}
	var d cc.Duration
	if err := json.Unmarshal([]byte(`1500000000`), &d); err != nil || time.Duration(d) != 1500*time.Millisecond {
		t.Errorf("a number of nanoseconds reads as %v, %v", time.Duration(d), err)
	}
	for _, bad := range []string{`"soon"`, `true`, `{}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
