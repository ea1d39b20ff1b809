package record_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/candlecassette/candlecassette/cassettes"
	"github.com/candlecassette/candlecassette/record"
)

// Record what a client does through the proxy, then read the cassette.
// The upstream here is a local stand-in; without UpstreamREST the proxy
// goes to the exchange itself.
func ExampleStart() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"serverTime":1704067200000}`)
	}))
	defer upstream.Close()
	dir, _ := os.MkdirTemp("", "record")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session.cassette")

	srv, err := record.Start(record.Options{Exchange: "binance_spot", Cassette: path, UpstreamREST: upstream.URL}, "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Get(srv.URL() + "/api/v3/time") // the client talks to the proxy
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	if err := srv.Close(context.Background()); err != nil { // flushes and closes the cassette
		log.Fatal(err)
	}

	c, err := cassettes.Open(path, 0, &cassettes.Options{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ixs, _ := c.Lookup("GET", "/api/v3/time", "", nil)
	fmt.Println(c.Meta().Exchange, len(ixs), string(ixs[0].Body))
	// Output:
	// {"serverTime":1704067200000}
	// binance_spot 1 {"serverTime":1704067200000}
}
