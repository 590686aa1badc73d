package aws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// caBundle starts a TLS server and points AWS_CA_BUNDLE at a bundle of its certificate,
// which no system pool trusts, and of others certificates: a system bundle holds about 150.
func caBundle(t testing.TB, others int) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for i := range others {
		bundle = append(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, i)})...)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", path)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIABUNDLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "bundle-secret")
	return srv
}

// selfSigned returns a new CA certificate, DER-encoded.
func selfSigned(t testing.TB, n int) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(n) + 1), Subject: pkix.Name{CommonName: fmt.Sprint("bundle CA ", n)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestStoresShareTheProcessConfiguration: the SDK's configuration comes from the
// environment and the shared files, the same for every store of a region. Loaded once per
// store, it parsed AWS_CA_BUNDLE into a new certificate pool and a new HTTP client each time
// (a quarter of a megabyte a store, and no connection shared between stores). Stores of one
// region now share one HTTP client, which still trusts the bundle, and the configuration is
// read again once baseConfigTTL has passed.
func TestStoresShareTheProcessConfiguration(t *testing.T) {
	srv := caBundle(t, 0)
	p := NewSessions()
	ctx := testContext(t)
	config := func(ns string) aws.HTTPClient {
		t.Helper()
		cfg, err := p.Config(ctx, StoreAccess(secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager})), nil, ns)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cfg.HTTPClient.Do(req)
		if err != nil {
			t.Fatalf("%s: a call to a server whose CA only AWS_CA_BUNDLE names: %v", ns, err)
		}
		_ = resp.Body.Close()
		return cfg.HTTPClient
	}
	first := config("team-a")
	if config("team-b") != first {
		t.Error("two stores of one region got an HTTP client each: the SDK's configuration was loaded per store")
	}
	later := time.Now().Add(baseConfigTTL + time.Second)
	p.bases.now = func() time.Time { return later }
	if config("team-c") == first {
		t.Errorf("the configuration was not read again after %s", baseConfigTTL)
	}
}

// BenchmarkStoreClientsWithCABundle measures one more store's client where AWS_CA_BUNDLE
// names a bundle of 150 certificates (B/op): go test ./internal/provider/aws -run '^$'
// -bench StoreClients -benchmem.
func BenchmarkStoreClientsWithCABundle(b *testing.B) {
	caBundle(b, 150)
	p := NewSessions(WithEndpoint("http://127.0.0.1:1"))
	ctx := b.Context()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ns := fmt.Sprint("team-", i)
		if _, err := p.NewClient(ctx, secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager}), nil, ns); err != nil {
			b.Fatal(err)
		}
	}
}
