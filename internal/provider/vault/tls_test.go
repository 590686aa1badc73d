package vault

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// clientCertificate returns a self-signed client certificate and its key, as PEM.
func clientCertificate(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// TestTLSAndCertAuth runs against a Vault dev server of its own that serves HTTPS: the CA
// comes from caBundle or a ConfigMap, and the cert auth method logs in with a client
// certificate read from a Secret.
func TestTLSAndCertAuth(t *testing.T) {
	t.Parallel()
	tlsServer, err := testenv.StartVaultTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tlsServer.Stop() })
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	certPEM, keyPEM := clientCertificate(t, "ferry-"+ns)
	tlsServer.MustDo(t, "PUT", "sys/policies/acl/reader", map[string]any{"policy": readerPolicy}, nil)
	tlsServer.MustDo(t, "POST", "sys/auth/cert", map[string]any{"type": "cert"}, nil)
	tlsServer.MustDo(t, "POST", "auth/cert/certs/ferry", map[string]any{
		"certificate": string(certPEM), "token_policies": "reader",
	}, nil)
	tlsServer.MustDo(t, "POST", "secret/data/app", map[string]any{"data": map[string]any{"user": "admin"}}, nil)
	kubeSecret(t, ns, "vault-client", map[string]string{"tls.crt": string(certPEM), "tls.key": string(keyPEM)})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vault-ca"}, Data: map[string]string{"ca.crt": string(tlsServer.CACert)}}
	if err := controlPlane.Client.Create(testContext(t), cm); err != nil {
		t.Fatal(err)
	}
	token := rootTokenAuth(t, ns)
	ref := esv1.ExternalSecretDataRemoteRef{Key: "app", Property: "user"}

	stores := map[string]esv1.VaultProvider{
		"caBundle": {Server: tlsServer.Address, Path: ptr("secret"), CABundle: tlsServer.CACert, Auth: token},
		"caProvider": {Server: tlsServer.Address, Path: ptr("secret"), Auth: token,
			CAProvider: &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "vault-ca", Key: "ca.crt"}},
		"cert auth": {Server: tlsServer.Address, Path: ptr("secret"), CABundle: tlsServer.CACert, Auth: &esv1.VaultAuth{Cert: &esv1.VaultCertAuth{
			VaultRole: "ferry", ClientCert: esv1.SecretKeySelector{Name: "vault-client", Key: "tls.crt"},
			SecretRef: esv1.SecretKeySelector{Name: "vault-client", Key: "tls.key"},
		}}},
	}
	for name, spec := range stores {
		t.Run(name, func(t *testing.T) {
			got, err := newClient(t, secretStore(ns, spec), ns).GetSecret(testContext(t), ref)
			if err != nil || string(got) != "admin" {
				t.Errorf("GetSecret = %q, %v; want admin", got, err)
			}
		})
	}
	t.Run("untrusted server", func(t *testing.T) {
		spec := esv1.VaultProvider{Server: tlsServer.Address, Path: ptr("secret"), Auth: token}
		_, err := newClient(t, secretStore(ns, spec), ns).GetSecret(testContext(t), ref)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("GetSecret = %v, want a certificate error", err)
		}
	})
}
