package conjur

import (
	"crypto/x509"
	"testing"

	"github.com/ferryhq/ferry/internal/provider/conjur/conjurfake"
)

// startConjur starts the Conjur stand-in for one test; clientCAs may be nil.
func startConjur(t *testing.T, clientCAs *x509.CertPool) *conjurfake.Server {
	t.Helper()
	f, err := conjurfake.Start(clientCAs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
