package operator

import (
	"net/http"

	"k8s.io/client-go/rest"
)

// apiStreamBuffer is how much of one response stream from the API server Ferry's HTTP/2
// client holds before flow control makes the server wait: the server's default in Go, a
// quarter of the client's (4 MB). A watch whose events arrive faster than the informer
// decodes them — the first list of every ExternalSecret and managed Secret, streamed — piles
// up in the process up to this window; over HTTP/1.1 the backlog stays in the kernel's socket
// buffer. At 10,000 ExternalSecrets HTTP/2 cost some 8 MiB of peak memory (bench/RESULTS.md).
// At 1 MB a stream still moves 50 MB/s to an API server 20 ms away.
const apiStreamBuffer = 1 << 20

// limitStreamBuffers makes the HTTP/2 clients built from cfg buffer at most apiStreamBuffer
// of each response stream. client-go shares one http.Transport between configs with the
// same TLS options, unless a config has its own proxy function: cfg is given one (the one
// client-go uses anyway, unless it has its own), so that each client built from it gets a
// transport of its own, unused when its options are set. A transport client-go wraps (a CA
// file reloaded as it changes) is left with Go's defaults.
func limitStreamBuffers(cfg *rest.Config) {
	if cfg.Proxy == nil {
		cfg.Proxy = http.ProxyFromEnvironment
	}
	wrap := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if t, ok := rt.(*http.Transport); ok && t.HTTP2 == nil {
			t.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerStream: apiStreamBuffer}
		}
		if wrap != nil {
			return wrap(rt)
		}
		return rt
	}
}
