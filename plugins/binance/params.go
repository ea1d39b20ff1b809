package binance

import (
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// params reads a request's query the way Binance validates it: duplicate
// names are refused, numbers must match ^[0-9]{1,20}$, symbols
// ^[A-Z0-9-_.]{1,20}$, and (spot only) a parameter the endpoint does not
// read is an error.
type params struct {
	kv []param // in the order sent; names are unique
}

type param struct{ name, value string }

// parseParams checks the raw query for duplicates and, when allowed is not
// nil, for parameters the endpoint does not read (-1104). It reads the
// query as url.ParseQuery does (empty pairs skipped; a semicolon or a bad
// escape is an error) into a short list rather than a map: a request has a
// handful of parameters, and this runs on every one.
func parseParams(raw string, allowed []string) (params, *apiError) {
	var p params
	dup := false
	if raw != "" {
		p.kv = make([]param, 0, 1+strings.Count(raw, "&"))
	}
	for kv, ok := range queryPairs(raw) {
		if !ok {
			return params{}, badRequest(-1100, "Illegal characters found in a parameter.")
		}
		if p.has(kv.name) {
			dup = true // refused once the whole query parsed: -1100 comes first
			continue
		}
		p.kv = append(p.kv, kv)
	}
	if dup {
		return params{}, errDuplicateParam()
	}
	if allowed != nil {
		read := 0
		for _, name := range allowed {
			if p.has(name) {
				read++
			}
		}
		if read != len(p.kv) {
			return params{}, errUnreadParams(read, len(p.kv))
		}
	}
	return p, nil
}

// queryPairs yields the pairs of a raw query as url.ParseQuery reads them:
// empty pairs skipped, a pair with a semicolon or a bad escape yielded
// with ok false (ParseQuery drops it and reports an error).
func queryPairs(raw string) iter.Seq2[param, bool] {
	return func(yield func(param, bool) bool) {
		for raw != "" {
			var pair string
			pair, raw, _ = strings.Cut(raw, "&")
			if pair == "" {
				continue
			}
			if strings.Contains(pair, ";") {
				if !yield(param{}, false) {
					return
				}
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			k, err1 := url.QueryUnescape(k)
			v, err2 := url.QueryUnescape(v)
			if !yield(param{k, v}, err1 == nil && err2 == nil) {
				return
			}
		}
	}
}

// has reports whether name was sent (even empty).
func (p params) has(name string) bool {
	for _, kv := range p.kv {
		if kv.name == name {
			return true
		}
	}
	return false
}

func (p params) get(name string) string {
	for _, kv := range p.kv {
		if kv.name == name {
			return kv.value
		}
	}
	return ""
}

// symbol reads a mandatory symbol-like parameter.
func (p params) symbol(name string) (string, *apiError) {
	s := p.get(name)
	if s == "" {
		return "", errMandatory(name)
	}
	if !validSymbol(s) {
		return "", errIllegalChars(name, symbolRange)
	}
	return s, nil
}

// optSymbol reads an optional symbol parameter; ok is false when absent.
func (p params) optSymbol(name string) (sym string, ok bool, err *apiError) {
	if !p.has(name) {
		return "", false, nil
	}
	sym, err = p.symbol(name)
	return sym, err == nil, err
}

// symbols reads the optional JSON-array parameter symbols=["A","B"].
func (p params) symbols() (syms []string, ok bool, err *apiError) {
	if !p.has("symbols") {
		return nil, false, nil
	}
	s := p.get("symbols")
	if s == "" {
		return nil, false, errMandatory("symbols")
	}
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false, errIllegalChars("symbols", symbolsRange)
	}
	inner := s[1 : len(s)-1]
	if inner == "" {
		return nil, false, errMandatory("symbols")
	}
	seen := map[string]bool{}
	for _, item := range strings.Split(inner, ",") {
		if len(item) < 2 || item[0] != '"' || item[len(item)-1] != '"' || !validSymbol(item[1:len(item)-1]) {
			return nil, false, errIllegalChars("symbols", symbolsRange)
		}
		sym := item[1 : len(item)-1]
		if seen[sym] {
			return nil, false, errDuplicateSymbols()
		}
		seen[sym] = true
		syms = append(syms, sym)
	}
	return syms, true, nil
}

// optInt reads an optional non-negative integer; ok is false when absent.
func (p params) optInt(name string) (v int64, ok bool, err *apiError) {
	if !p.has(name) {
		return 0, false, nil
	}
	s := p.get(name)
	if s == "" || len(s) > 20 || strings.Trim(s, "0123456789") != "" {
		return 0, false, errIllegalChars(name, numberRange)
	}
	v, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		return 0, false, badRequest(-1108, "Parameter '"+name+"' overflowed.")
	}
	return v, true, nil
}

func validSymbol(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
