package template

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"net"
	"net/url"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestFilterCertChain(t *testing.T) {
	p := testCerts(t)
	// A longer chain: root → intermediate → second intermediate → deep leaf.
	secondKey, deepKey := ecKey(t), ecKey(t)
	second := issueCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Second Intermediate"}, IsCA: true}, secondKey, p.intermediate, p.intermediateKey)
	deep := issueCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "deep.example.com"}}, deepKey, second, secondKey)
	secondPEM, deepPEM := certPEM(second), certPEM(deep)

	full := p.leafPEM + p.intermediatePEM + p.rootPEM
	tests := []struct {
		name, certType, chain, want string
	}{
		{"leaf of a full chain", "leaf", full, p.leafPEM},
		{"intermediate of a full chain", "intermediate", full, p.intermediatePEM},
		{"root of a full chain", "root", full, p.rootPEM},
		{"leaf of a shuffled chain", "leaf", p.rootPEM + p.leafPEM + p.intermediatePEM, p.leafPEM},
		{"root of a shuffled chain", "root", p.intermediatePEM + p.rootPEM + p.leafPEM, p.rootPEM},
		{"intermediates in chain order", "intermediate", p.rootPEM + p.intermediatePEM + deepPEM + secondPEM, secondPEM + p.intermediatePEM},
		{"no root in a chain that stops at an intermediate", "root", p.leafPEM + p.intermediatePEM, ""},
		{"intermediate of a chain without root", "intermediate", p.leafPEM + p.intermediatePEM, p.intermediatePEM},
		{"no intermediate in leaf and root", "intermediate", deepPEM + secondPEM, secondPEM},
		{"a lone leaf is the leaf", "leaf", p.leafPEM, p.leafPEM},
		{"a lone self-signed certificate is no leaf", "leaf", p.rootPEM, ""},
		{"a lone self-signed certificate is the root", "root", p.rootPEM, p.rootPEM},
		{"a lone certificate has no intermediate", "intermediate", p.leafPEM, ""},
		{"other blocks are skipped", "leaf", p.leafKeyPKCS8PEM + full, p.leafPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]string{"chain": tt.chain, "type": tt.certType}
			if got := mustRender(t, EngineV2, `{{ .chain | filterCertChain .type }}`, values); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}

	// ESO's use: split one bundle into the Secret's keys.
	out := map[string][]byte{}
	templates := map[string]string{
		"tls.crt": `{{ .bundle | filterCertChain "leaf" }}`,
		"ca.crt":  `{{ .bundle | filterCertChain "root" }}`,
		"tls.key": `{{ .bundle | filterPEM "private key" }}`,
	}
	bundle := map[string][]byte{"bundle": []byte(p.leafKeyPKCS8PEM + full)}
	if err := Execute(EngineV2, templates, bundle, ScopeValues, out); err != nil {
		t.Fatal(err)
	}
	if string(out["tls.crt"]) != p.leafPEM || string(out["ca.crt"]) != p.rootPEM || string(out["tls.key"]) != p.leafKeyPKCS8PEM {
		t.Errorf("split bundle: %q", out)
	}

	errorTests := []struct{ name, certType, chain, want string }{
		{"two leaves", "leaf", p.leafPEM + p.ecPEM + p.intermediatePEM, "the certificates do not form one chain"},
		{"a gap", "root", p.leafPEM + p.rootPEM, "the certificates do not form one chain"},
		{"unknown type", "Leaf", full, `the certificate type must be "leaf", "intermediate" or "root"`},
		{"no certificate", "leaf", p.leafKeyPKCS8PEM, "no PEM certificate found"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, EngineV2, `{{ .chain | filterCertChain .type }}`, map[string]string{"chain": tt.chain, "type": tt.certType})
			errContains(t, err, "error calling filterCertChain: "+tt.want)
		})
	}
}

func TestCertSANs(t *testing.T) {
	p := testCerts(t)
	spiffe, err := url.Parse("spiffe://example.org/ns/apps/sa/web")
	if err != nil {
		t.Fatal(err)
	}
	withSANs := issueCert(t, &x509.Certificate{
		Subject:        pkix.Name{CommonName: "web"},
		DNSNames:       []string{"web.example.com", "*.web.example.com"},
		IPAddresses:    []net.IP{net.ParseIP("10.0.0.7"), net.ParseIP("2001:db8::7")},
		EmailAddresses: []string{"ops@example.com"},
		URIs:           []*url.URL{spiffe},
	}, ecKey(t), p.intermediate, p.intermediateKey)
	values := map[string]string{"crt": certPEM(withSANs), "chain": certPEM(withSANs) + p.intermediatePEM, "root": p.rootPEM}

	tests := []struct{ name, template, want string }{
		{"every kind, in ESO's order", `{{ .crt | certSANs | join "," }}`,
			"web.example.com,*.web.example.com,10.0.0.7,2001:db8::7,ops@example.com,spiffe://example.org/ns/apps/sa/web"},
		{"the first certificate of a chain", `{{ .chain | certSANs | first }}`, "web.example.com"},
		{"with filterCertChain", `{{ .chain | filterCertChain "leaf" | certSANs | last }}`, "spiffe://example.org/ns/apps/sa/web"},
		{"printed as a list", `{{ .crt | certSANs | len }} {{ .root | certSANs }}`, "6 []"},
		{"as JSON", `{{ .crt | certSANs | toJson }}`,
			`["web.example.com","*.web.example.com","10.0.0.7","2001:db8::7","ops@example.com","spiffe://example.org/ns/apps/sa/web"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV2, tt.template, values); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	_, err = render(t, EngineV2, `{{ .key | certSANs }}`, map[string]string{"key": p.leafKeyPKCS8PEM})
	errContains(t, err, "error calling certSANs: no PEM certificate found")
}

func TestPEMTruststoreToPKCS12(t *testing.T) {
	p := testCerts(t)
	values := map[string]string{"ca": p.rootPEM + p.intermediatePEM, "pw": "from-a-value"}
	decode := func(t *testing.T, rendered, password string) []*x509.Certificate {
		t.Helper()
		archive, err := base64.StdEncoding.DecodeString(rendered)
		if err != nil {
			t.Fatalf("output is not base64: %v", err)
		}
		certs, err := pkcs12.DecodeTrustStore(archive, password)
		if err != nil {
			t.Fatalf("output is not a PKCS#12 trust store for that password: %v", err)
		}
		return certs
	}
	tests := []struct{ name, template, password string }{
		{"piped", `{{ .ca | pemTruststoreToPKCS12 }}`, ""},
		{"with a password", `{{ pemTruststoreToPKCS12Pass .ca "s3cret" }}`, "s3cret"},
		{"with a password from a value", `{{ pemTruststoreToPKCS12Pass .ca .pw }}`, "from-a-value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs := decode(t, mustRender(t, EngineV2, tt.template, values), tt.password)
			if len(certs) != 2 || !certs[0].Equal(p.root) || !certs[1].Equal(p.intermediate) {
				t.Errorf("the trust store holds %d certificates, not root and intermediate in order", len(certs))
			}
		})
	}
	t.Run("the password protects it", func(t *testing.T) {
		archive, err := base64.StdEncoding.DecodeString(mustRender(t, EngineV2, `{{ pemTruststoreToPKCS12Pass .ca "s3cret" }}`, values))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pkcs12.DecodeTrustStore(archive, "wrong"); err == nil {
			t.Error("the trust store opens with a wrong password")
		}
	})
	t.Run("pkcs12cert reads it back as a chain", func(t *testing.T) {
		got := mustRender(t, EngineV2, `{{ .ca | pemTruststoreToPKCS12 | b64dec | pkcs12cert }}`, values)
		if got != p.intermediatePEM+p.rootPEM {
			t.Errorf("got\n%s", got)
		}
	})
	_, err := render(t, EngineV2, `{{ .key | pemTruststoreToPKCS12 }}`, map[string]string{"key": p.leafKeyPKCS8PEM})
	errContains(t, err, "error calling pemTruststoreToPKCS12: no PEM certificate found")
}
