package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

// drain drains and closes a response, failing on a non-200 status.
func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Request.URL, resp.Status)
	}
	return n, err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
