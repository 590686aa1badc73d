package tokenapi

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"time"
)

// TLSClient returns an HTTP client that trusts the certificate of this package's TLS
// servers (httptest's loopback certificate, for 127.0.0.1) and no other, and uses no
// proxy, so a client under test reaches only the in-process servers.
func TLSClient() *http.Client {
	server := httptest.NewUnstartedServer(http.NotFoundHandler())
	server.StartTLS()
	defer server.Close()
	roots := x509.NewCertPool()
	roots.AddCert(server.Certificate())
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
}
