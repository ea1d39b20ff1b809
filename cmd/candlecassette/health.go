package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"
)

// healthCommand checks a running server's /__admin/health: the container
// image's HEALTHCHECK, since a scratch image has no curl.
func healthCommand() *cli.Command {
	return &cli.Command{
		Name:  "health",
		Usage: "check that a candlecassette server answers: exit 0 if GET /__admin/health says ok, 1 otherwise",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/__admin/health", EnvVars: []string{"CANDLECASSETTE_HEALTH_URL"}, Usage: "health endpoint `URL` to check"},
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "give up after this long"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("health: takes no arguments (give --url)")
			}
			client := &http.Client{Timeout: c.Duration("timeout")}
			resp, err := client.Get(c.String("url"))
			if err != nil {
				return fmt.Errorf("health: %w", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			var v struct {
				Status string `json:"status"`
			}
			if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil || v.Status != "ok" {
				return fmt.Errorf("health: %s answered %s: %.200s", c.String("url"), resp.Status, b)
			}
			fmt.Fprintln(c.App.Writer, "ok")
			return nil
		},
	}
}
