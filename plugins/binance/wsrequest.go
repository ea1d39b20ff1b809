package binance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// wsRequest is a validated client message.
type wsRequest struct {
	method  string
	id      json.RawMessage
	streams []string // SUBSCRIBE, UNSUBSCRIBE
	value   bool     // SET_PROPERTY
}

// wsError is one of the documented error replies:
// {"error":{"code":2,"msg":"Invalid request: ..."},"id":1}.
type wsError struct {
	code int
	msg  string
	id   json.RawMessage
}

func (e *wsError) reply() []byte {
	id := e.id
	if id == nil {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		Error struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"error"`
		ID json.RawMessage `json:"id"`
	}{Error: struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}{e.code, e.msg}, ID: id})
	return b
}

func okReply(id, result json.RawMessage) []byte {
	b, _ := json.Marshal(struct {
		Result json.RawMessage `json:"result"`
		ID     json.RawMessage `json:"id"`
	}{result, id})
	return b
}

func invalid(id json.RawMessage, format string, args ...any) *wsError {
	return &wsError{code: 2, msg: "Invalid request: " + fmt.Sprintf(format, args...), id: id}
}

const methods = "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"

// parseRequest validates data as Binance does, returning the documented
// error for bad JSON (code 3), a bad request (code 2), an unknown property
// (code 0) or a non-boolean property value (code 1).
func parseRequest(data []byte) (*wsRequest, *wsError) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, &wsError{code: 3, msg: "Invalid JSON: " + jsonErrorText(data, err)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, invalid(nil, "invalid type: %s, expected struct Request at line 1 column 1", jsonKind(data))
	}
	end := len(bytes.TrimRight(data, " \t\r\n"))
	id, ok := fields["id"]
	if !ok || !validID(id) {
		return nil, invalid(nil, "request ID must be an unsigned integer")
	}
	req := &wsRequest{id: id}
	mraw, ok := fields["method"]
	if !ok {
		return nil, invalid(id, "missing field `method` at line 1 column %d", end)
	}
	if err := json.Unmarshal(mraw, &req.method); err != nil {
		return nil, invalid(id, "invalid type: %s, expected one of %s at line 1 column %d", jsonKind(mraw), methods, end)
	}
	var params []json.RawMessage
	if praw, ok := fields["params"]; ok && !bytes.Equal(praw, []byte("null")) {
		if err := json.Unmarshal(praw, &params); err != nil {
			return nil, invalid(id, "invalid type: %s, expected a sequence", jsonKind(praw))
		}
	}
	switch req.method {
	case "SUBSCRIBE", "UNSUBSCRIBE":
		for _, p := range params {
			var name string
			if err := json.Unmarshal(p, &name); err != nil {
				return nil, invalid(id, "invalid type: %s, expected a string", jsonKind(p))
			}
			req.streams = append(req.streams, name)
		}
	case "LIST_SUBSCRIPTIONS":
	case "SET_PROPERTY", "GET_PROPERTY":
		want := 1
		if req.method == "SET_PROPERTY" {
			want = 2
		}
		if len(params) > want {
			return nil, invalid(id, "too many parameters")
		}
		var name string
		if len(params) == 0 || json.Unmarshal(params[0], &name) != nil {
			return nil, invalid(id, "property name must be a string")
		}
		if name != "combined" {
			return nil, &wsError{code: 0, msg: "Unknown property", id: id}
		}
		if want == 2 {
			if len(params) < 2 || json.Unmarshal(params[1], &req.value) != nil {
				return nil, &wsError{code: 1, msg: "Invalid value type: expected Boolean", id: id}
			}
		}
	default:
		return nil, invalid(id, "unknown variant `%s`, expected one of %s at line 1 column %d", req.method, methods, valueEnd(data, "method"))
	}
	return req, nil
}

// validID accepts what Binance documents: a 64-bit integer, an
// alphanumeric string of at most 36 characters, or null.
func validID(raw json.RawMessage) bool {
	if bytes.Equal(raw, []byte("null")) {
		return true
	}
	var n json.Number
	if raw[0] != '"' && json.Unmarshal(raw, &n) == nil {
		_, err := n.Int64()
		return err == nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// valueEnd is the column just past the value of the top-level key in
// data, where serde_json reports a bad value; 0 if key is absent.
func valueEnd(data []byte, key string) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0
		}
		if t == key {
			return int(dec.InputOffset())
		}
	}
	return 0
}

// jsonKind names a JSON value the way serde's errors do.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "unit value"
	}
	switch raw[0] {
	case '{':
		return "map"
	case '[':
		return "sequence"
	case '"':
		return "string " + string(raw)
	case 't', 'f':
		return "boolean `" + string(raw) + "`"
	case 'n':
		return "null"
	}
	return "integer `" + string(raw) + "`"
}

// jsonErrorText words a syntax error as serde_json does, with the line
// and column of the offending byte.
func jsonErrorText(data []byte, err error) string {
	var se *json.SyntaxError
	off := int64(len(data))
	if errors.As(err, &se) {
		off = se.Offset
	}
	line, col := 1, 0
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
	what := "expected value"
	if off >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
		what = "EOF while parsing a value"
	}
	return fmt.Sprintf("%s at line %d column %d", what, line, max(col, 1))
}
