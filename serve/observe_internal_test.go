package serve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/candlecassette/candlecassette/plugins"
)

// TestCopyRequestCopiesEveryField guards copyRequest against a field
// added to http.Request: every exported field set on the source must
// arrive, and the destination's context stay its own.
func TestCopyRequestCopiesEveryField(t *testing.T) {
	var src http.Request
	v := reflect.ValueOf(&src).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString("x" + f.Name)
		case reflect.Int, reflect.Int64:
			fv.SetInt(int64(i + 1))
		case reflect.Bool:
			fv.SetBool(true)
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
			switch fv.Kind() {
			case reflect.Pointer:
				fv.Set(reflect.New(fv.Type().Elem()))
			case reflect.Map:
				fv.Set(reflect.MakeMap(fv.Type()))
			case reflect.Slice:
				fv.Set(reflect.MakeSlice(fv.Type(), 1, 1))
			case reflect.Chan:
				fv.Set(reflect.MakeChan(reflect.ChanOf(reflect.BothDir, fv.Type().Elem()), 0).Convert(fv.Type()))
			case reflect.Func:
				fv.Set(reflect.MakeFunc(fv.Type(), func([]reflect.Value) []reflect.Value { return nil }))
			case reflect.Interface:
				fv.Set(reflect.ValueOf(http.NoBody))
			}
		default:
			t.Fatalf("field %s of kind %s: teach this test", f.Name, fv.Kind())
		}
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	dst := (&http.Request{}).WithContext(ctx)
	copyRequest(dst, &src)
	d := reflect.ValueOf(dst).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		a, b := v.Field(i), d.Field(i)
		same := a.Kind() == reflect.Func && a.Pointer() == b.Pointer() || a.Kind() != reflect.Func && reflect.DeepEqual(a.Interface(), b.Interface())
		if !same {
			t.Errorf("copyRequest misses http.Request.%s", f.Name)
		}
	}
	if dst.Context() != ctx {
		t.Error("copyRequest changed the context")
	}
}

// TestObserveAllocatesNothing: observing a request — in process, or on a
// connection's values — costs no allocation.
func TestObserveAllocatesNothing(t *testing.T) {
	p, err := plugins.Lookup("binance_spot")
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStack(p, plugins.NewHub(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := st.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		NoteSource(r, SourceExact)
		w.WriteHeader(http.StatusOK)
	}))
	w := &discard{h: http.Header{}}
	r := httptest.NewRequest(http.MethodGet, "/api/v3/ping?x=1", nil)
	h.ServeHTTP(w, r)
	if n := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, r) }); n != 0 {
		t.Errorf("in process: %v allocations per request", n)
	}
	rc := r.WithContext(&connVals{Context: context.Background()})
	if n := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, rc) }); n != 0 {
		t.Errorf("on a connection's values: %v allocations per request", n)
	}
	recs := st.Requests(time.Time{})
	if len(recs) != 2002 && len(recs) != RequestLogSize {
		t.Fatalf("logged %d", len(recs))
	}
	if last := recs[len(recs)-1]; last.Source != SourceExact || last.Status != 200 || last.Route != "/api/v3/ping" {
		t.Errorf("logged %+v", last)
	}
}

type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) WriteHeader(int)             {}
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkObservation is the cost of the request log and the metrics per
// request: the same handler on a connection's values with the observe
// layer (log entry, counters, latency histogram) and without it.
func BenchmarkObservation(b *testing.B) {
	p, err := plugins.Lookup("binance_spot")
	if err != nil {
		b.Fatal(err)
	}
	st, err := NewStack(p, plugins.NewHub(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		NoteSource(r, SourceSynthetic)
		w.WriteHeader(http.StatusOK)
	})
	r := httptest.NewRequest(http.MethodGet, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000", nil)
	r = r.WithContext(&connVals{Context: context.Background()})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"without", inner}, {"with", st.observe(inner)}} {
		b.Run(c.name, func(b *testing.B) {
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
