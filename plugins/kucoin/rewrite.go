package kucoin

import (
	"encoding/json"
	"net/url"
	"strings"
)

// RewriteResponse points the WS endpoints of a bullet-public (or
// bullet-private) reply at proxyWSBase, keeping each endpoint's path, so a
// client of the recording proxy or of replay connects back to it. Other
// bodies come back unchanged. It implements plugins.Rewriter, which the
// recording proxy and replay both use.
func (p *Plugin) RewriteResponse(path string, body []byte, proxyWSBase string) []byte {
	if !strings.HasPrefix(path, "/api/v1/bullet-") {
		return body
	}
	var resp struct {
		Code string `json:"code"`
		Data struct {
			Token           string `json:"token"`
			InstanceServers []struct {
				Endpoint     string `json:"endpoint"`
				Encrypt      bool   `json:"encrypt"`
				Protocol     string `json:"protocol"`
				PingInterval int    `json:"pingInterval"`
				PingTimeout  int    `json:"pingTimeout"`
			} `json:"instanceServers"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Code != "200000" || len(resp.Data.InstanceServers) == 0 {
		return body
	}
	base := strings.TrimRight(proxyWSBase, "/")
	for i, s := range resp.Data.InstanceServers {
		u, err := url.Parse(s.Endpoint)
		if err != nil {
			return body
		}
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		resp.Data.InstanceServers[i].Endpoint = base + path
		resp.Data.InstanceServers[i].Encrypt = strings.HasPrefix(base, "wss:")
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return body
	}
	return out
}
