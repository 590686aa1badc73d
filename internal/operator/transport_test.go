package operator

import (
	"net/http"
	"testing"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
)

// TestStreamBuffersLimited builds HTTP clients as the manager and the direct client do and
// checks that each has a transport of its own with the HTTP/2 receive buffer set, and that a
// transport wrapper the config had still runs.
func TestStreamBuffersLimited(t *testing.T) {
	wrapped := 0
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", BearerToken: "t",
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		WrapTransport:   func(rt http.RoundTripper) http.RoundTripper { wrapped++; return rt }}
	limitStreamBuffers(cfg)

	var seen []*http.Transport
	for range 2 {
		c, err := rest.HTTPClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var base *http.Transport
		for rt := c.Transport; rt != nil; {
			if tr, ok := rt.(*http.Transport); ok {
				base = tr
				break
			}
			w, ok := rt.(utilnet.RoundTripperWrapper)
			if !ok {
				t.Fatalf("cannot see through %T to the transport", rt)
			}
			rt = w.WrappedRoundTripper()
		}
		if base == nil || base.HTTP2 == nil || base.HTTP2.MaxReceiveBufferPerStream != apiStreamBuffer {
			t.Fatalf("transport %+v: want HTTP/2 with a %d-byte stream buffer", base, apiStreamBuffer)
		}
		seen = append(seen, base)
	}
	if seen[0] == seen[1] {
		t.Error("two clients share one transport: setting its options could race with the other's requests")
	}
	if wrapped != 2 {
		t.Errorf("the config's own wrapper ran %d times, want 2", wrapped)
	}
}
