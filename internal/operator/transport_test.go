package operator

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
)

// TestStreamBuffersLimited builds HTTP clients as the manager and the direct client do and
// checks that each has a transport of its own with the HTTP/2 receive buffer set, and that a
// transport wrapper the config had still runs: with an inline CA, and with a CA file as in a
// pod (client-go then holds the transport to reload the file).
func TestStreamBuffersLimited(t *testing.T) {
	server := httptest.NewTLSServer(http.NotFoundHandler())
	defer server.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tls := range map[string]rest.TLSClientConfig{"inline CA": {CAData: ca}, "CA file": {CAFile: caFile}} {
		t.Run(name, func(t *testing.T) { checkStreamBuffers(t, tls) })
	}
}

func checkStreamBuffers(t *testing.T, tls rest.TLSClientConfig) {
	wrapped := 0
	cfg := &rest.Config{Host: "https://127.0.0.1:6443", BearerToken: "t", TLSClientConfig: tls,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper { wrapped++; return rt }}
	limitStreamBuffers(cfg)

	var seen []*http.Transport
	for range 2 {
		c, err := rest.HTTPClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		base := baseTransport(c.Transport)
		if base == nil || base.HTTP2 == nil || base.HTTP2.MaxReceiveBufferPerStream != apiStreamBuffer {
			t.Fatalf("transport under %T: %+v; want HTTP/2 with a %d-byte stream buffer", c.Transport, base, apiStreamBuffer)
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
