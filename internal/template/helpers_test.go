package template

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPKI is a small certificate hierarchy made once per test binary: a root CA, an
// intermediate CA and a leaf, each with its own key.
type testPKI struct {
	rootKey, intermediateKey, leafKey  crypto.Signer
	root, intermediate, leaf           *x509.Certificate
	rootPEM, intermediatePEM, leafPEM  string
	leafKeyPKCS8PEM, leafKeyPKCS1PEM   string
	ecKey                              *ecdsa.PrivateKey
	ecKeySEC1PEM, ecKeyPKCS8PEM, ecPEM string
	ecCert                             *x509.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
)

func testCerts(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki = makePKI(t) })
	return &pki
}

func makePKI(t testing.TB) testPKI {
	t.Helper()
	var p testPKI
	rsaKey := func() *rsa.PrivateKey {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	rootKey, intermediateKey, leafKey := rsaKey(), rsaKey(), rsaKey()
	p.rootKey, p.intermediateKey, p.leafKey = rootKey, intermediateKey, leafKey

	issue := func(subject string, key crypto.Signer, isCA bool, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
		return issueCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: subject}, IsCA: isCA}, key, parent, parentKey)
	}
	p.root = issue("Test Root", rootKey, true, nil, nil)
	p.intermediate = issue("Test Intermediate", intermediateKey, true, p.root, rootKey)
	p.leaf = issue("leaf.example.com", leafKey, false, p.intermediate, intermediateKey)
	p.rootPEM, p.intermediatePEM, p.leafPEM = certPEM(p.root), certPEM(p.intermediate), certPEM(p.leaf)

	pkcs8, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	p.leafKeyPKCS8PEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	p.leafKeyPKCS1PEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(leafKey)}))

	p.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(p.ecKey)
	if err != nil {
		t.Fatal(err)
	}
	p.ecKeySEC1PEM = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	ecPKCS8, err := x509.MarshalPKCS8PrivateKey(p.ecKey)
	if err != nil {
		t.Fatal(err)
	}
	p.ecKeyPKCS8PEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecPKCS8}))
	p.ecCert = issue("ec.example.com", p.ecKey, false, p.intermediate, intermediateKey)
	p.ecPEM = certPEM(p.ecCert)
	return p
}

var certSerial atomic.Int64

// issueCert signs tmpl (subject, IsCA and SANs as the caller set them) for key with
// parentKey, or self-signed when parent is nil. Validity, serial and key usage are filled in.
func issueCert(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(certSerial.Add(1))
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func certPEM(cert *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

func keyPKCS8PEM(t *testing.T, key crypto.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// render runs one v2 or v1 template named "t" and returns its output.
func render(t *testing.T, engine Engine, text string, values map[string]string) (string, error) {
	t.Helper()
	out := map[string][]byte{}
	err := Execute(engine, map[string]string{"t": text}, byteValues(values), ScopeValues, out)
	return string(out["t"]), err
}

func byteValues(values map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(values))
	for key, value := range values {
		out[key] = []byte(value)
	}
	return out
}

func mustRender(t *testing.T, engine Engine, text string, values map[string]string) string {
	t.Helper()
	out, err := render(t, engine, text, values)
	if err != nil {
		t.Fatalf("render %q: %v", text, err)
	}
	return out
}

func errContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("want an error containing %q, got %q", want, err.Error())
	}
}
