package binance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	cc "github.com/candlecassette/candlecassette"
	"github.com/candlecassette/candlecassette/plugins"
)

const contentType = "application/json;charset=UTF-8"

// apiError is a Binance error body, {"code":-1121,"msg":"Invalid symbol."},
// with the HTTP status it is served with. Every REST error goes through
// it, so the mapping to statuses lives here only.
type apiError struct {
	Status int    `json:"-"`
	Code   int    `json:"code"`
	Msg    string `json:"msg"`
}

func (e *apiError) Error() string { return fmt.Sprintf("binance: %d %s", e.Code, e.Msg) }

func badRequest(code int, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Msg: msg}
}

// The regular expressions Binance quotes in its -1100 messages.
const (
	symbolRange  = `^[A-Z0-9-_.]{1,20}$`
	numberRange  = `^[0-9]{1,20}$`
	symbolsRange = `^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$`
)

func errInvalidSymbol() *apiError { return badRequest(-1121, "Invalid symbol.") }

func errInvalidInterval() *apiError { return badRequest(-1120, "Invalid interval.") }

func errIllegalChars(param, legal string) *apiError {
	return badRequest(-1100, fmt.Sprintf("Illegal characters found in parameter '%s'; legal range is '%s'.", param, legal))
}

func errMandatory(param string) *apiError {
	return badRequest(-1102, fmt.Sprintf("Mandatory parameter '%s' was not sent, was empty/null, or malformed.", param))
}

func errDuplicateParam() *apiError {
	return badRequest(-1101, "Duplicate values for a parameter detected.")
}

func errUnreadParams(read, sent int) *apiError {
	return badRequest(-1104, fmt.Sprintf("Not all sent parameters were read; read '%d' parameter(s) but was sent '%d'.", read, sent))
}

func errBadCombo() *apiError {
	return badRequest(-1128, "Combination of optional parameters invalid.")
}

func errInvalidParam(param string) *apiError {
	return badRequest(-1130, fmt.Sprintf("Data sent for parameter '%s' is not valid.", param))
}

func errDuplicateSymbols() *apiError {
	return badRequest(-1151, "Symbol is present multiple times in the list.")
}

func errStartAfterEnd() *apiError {
	return badRequest(-1023, "Start time is greater than end time.")
}

func errInternal() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: -1001, Msg: "Internal error; unable to process your request. Please try again."}
}

// writeJSON sends v with Binance's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, errInternal())
		return
	}
	writeBody(w, status, b)
}

// contentTypeValue is the header value, shared by every response (len ==
// cap: an Add copies rather than writing into it).
var contentTypeValue = []string{contentType}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	writeHead(w, status, len(b))
	w.Write(b)
}

// writeCached is writeBody for a cached answer, never modified again.
func writeCached(w http.ResponseWriter, b []byte) {
	writeHead(w, http.StatusOK, len(b))
	plugins.WriteStatic(w, b)
}

// writeHead sends the status and the headers of an n-byte JSON body.
func writeHead(w http.ResponseWriter, status, n int) {
	h := w.Header()
	h["Content-Type"] = contentTypeValue
	h["Content-Length"] = []string{strconv.Itoa(n)}
	w.WriteHeader(status)
}

// writeError sends err as Binance would: an *apiError as is, an unknown
// symbol from the Market as -1121, anything else as -1001.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, cc.ErrUnknownSymbol):
		ae = errInvalidSymbol()
	default:
		ae = errInternal()
	}
	b, _ := json.Marshal(ae)
	writeBody(w, ae.Status, b)
}

// notFound is Binance's answer to an unknown path: a bare 404 with an
// empty body.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNotFound)
}
