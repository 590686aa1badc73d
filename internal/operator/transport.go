package operator

import (
	"net/http"

	utilnet "k8s.io/apimachinery/pkg/util/net"
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
// transport of its own, unused when its options are set. Where client-go holds the transport
// to reload a CA file (in a pod, the ServiceAccount's CA), the held transport is set, and
// client-go's clone of it at a CA change keeps the option. Clients that should share a
// connection share one http.Client (rest.HTTPClientFor) instead.
func limitStreamBuffers(cfg *rest.Config) {
	if cfg.Proxy == nil {
		cfg.Proxy = http.ProxyFromEnvironment
	}
	wrap := cfg.WrapTransport
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if t := baseTransport(rt); t != nil && t.HTTP2 == nil {
			t.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerStream: apiStreamBuffer}
		}
		if wrap != nil {
			return wrap(rt)
		}
		return rt
	}
}

// baseTransport returns the http.Transport under client-go's round trippers, or nil.
func baseTransport(rt http.RoundTripper) *http.Transport {
	for rt != nil {
		switch t := rt.(type) {
		case *http.Transport:
			return t
		case utilnet.RoundTripperWrapper:
			rt = t.WrappedRoundTripper()
		default:
			return nil
		}
	}
	return nil
}
