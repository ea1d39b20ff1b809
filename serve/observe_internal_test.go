package serve

import (
	"context"
	"net/http"
	"reflect"
	"testing"
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
