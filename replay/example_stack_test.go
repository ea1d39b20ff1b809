package replay_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/candlecassette/candlecassette/replay"
)

// A test can change the network at run time: here every request fails
// with the exchange's own 5xx body until the conditions are reset.
func ExampleServer_PatchConditions() {
	srv, err := replay.Start(replay.Options{Exchange: stackExchangeName}, "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())

	srv.PatchConditions([]byte(`{"error_rate":1}`))
	resp, _ := http.Get(srv.URL() + "/api/ping")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	srv.PatchConditions([]byte(`{"error_rate":0}`))
	resp, _ = http.Get(srv.URL() + "/api/ping")
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-MBX-USED-WEIGHT-1M"), srv.Status().Faults.Errors)
	// Output:
	// 500 {"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}
	// 200 2 1
}
