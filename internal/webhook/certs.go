package webhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Lifetimes and rotation thresholds of the self-managed certificates.
const (
	caLifetime      = 5 * 365 * 24 * time.Hour
	servingLifetime = 365 * 24 * time.Hour
	// A certificate is replaced when less than this fraction of its life remains.
	renewFraction = 3
)

// Keys of the certificate Secret.
const (
	keyCACert  = "ca.crt"
	keyCAKey   = "ca.key"
	keyTLSCert = corev1.TLSCertKey
	keyTLSKey  = corev1.TLSPrivateKeyKey
	// keyOldCA keeps the previous CA during a CA rotation, so clients that still hold the
	// old bundle keep trusting the new serving certificate's predecessor.
	keyOldCA = "ca-previous.crt"
)

// Certs keeps the webhook's CA and serving certificate in a Secret and serves them.
type Certs struct {
	Client    client.Client
	Namespace string
	Name      string
	// Hosts are the DNS names and IP addresses the serving certificate must cover.
	Hosts []string
	Now   func() time.Time

	mu     sync.RWMutex
	cert   *tls.Certificate
	bundle []byte
}

func (c *Certs) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// GetCertificate serves the current certificate to the TLS server.
func (c *Certs) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cert == nil {
		return nil, errors.New("webhook serving certificate not loaded yet")
	}
	return c.cert, nil
}

// CABundle returns the PEM bundle clients should trust.
func (c *Certs) CABundle() []byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]byte(nil), c.bundle...)
}

// Ensure loads the certificates from the Secret, creating or rotating them when they are
// missing, do not cover Hosts, or are near expiry. It reports whether the CA bundle changed.
func (c *Certs) Ensure(ctx context.Context) (bool, error) {
	key := client.ObjectKey{Namespace: c.Namespace, Name: c.Name}
	var secret corev1.Secret
	err := c.Client.Get(ctx, key, &secret)
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading webhook certificate Secret %s: %w", key, err)
	}
	data, rotated, err := c.renew(secret.Data)
	if err != nil {
		return false, err
	}
	if rotated {
		secret.Data = data
		secret.Type = corev1.SecretTypeOpaque
		if exists {
			err = c.Client.Update(ctx, &secret)
		} else {
			secret.ObjectMeta = metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "ferry"}}
			err = c.Client.Create(ctx, &secret)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			// Another replica rotated first: use theirs.
			return c.Ensure(ctx)
		}
		if err != nil {
			return false, fmt.Errorf("writing webhook certificate Secret %s: %w", key, err)
		}
	}
	return c.load(data)
}

// renew returns the Secret data with whatever needs replacing replaced.
func (c *Certs) renew(data map[string][]byte) (map[string][]byte, bool, error) {
	out := map[string][]byte{}
	for k, v := range data {
		out[k] = v
	}
	now := c.now()
	ca, caKey, err := parsePair(out[keyCACert], out[keyCAKey])
	rotated := false
	if err != nil || nearExpiry(ca, now) {
		if ca != nil {
			out[keyOldCA] = out[keyCACert]
		}
		certPEM, keyPEM, err := newCA(now)
		if err != nil {
			return nil, false, err
		}
		out[keyCACert], out[keyCAKey] = certPEM, keyPEM
		if ca, caKey, err = parsePair(certPEM, keyPEM); err != nil {
			return nil, false, err
		}
		delete(out, keyTLSCert) // a new CA needs a new serving certificate
		rotated = true
	}
	serving, _, err := parsePair(out[keyTLSCert], out[keyTLSKey])
	if err != nil || nearExpiry(serving, now) || !covers(serving, c.Hosts) || serving.CheckSignatureFrom(ca) != nil {
		certPEM, keyPEM, err := newServing(ca, caKey, c.Hosts, now)
		if err != nil {
			return nil, false, err
		}
		out[keyTLSCert], out[keyTLSKey] = certPEM, keyPEM
		rotated = true
	}
	if old, err := parseCert(out[keyOldCA]); err == nil && now.After(old.NotAfter) {
		delete(out, keyOldCA)
		rotated = true
	}
	return out, rotated, nil
}

func (c *Certs) load(data map[string][]byte) (bool, error) {
	cert, err := tls.X509KeyPair(data[keyTLSCert], data[keyTLSKey])
	if err != nil {
		return false, fmt.Errorf("loading webhook serving certificate: %w", err)
	}
	bundle := append(append([]byte(nil), data[keyCACert]...), data[keyOldCA]...)
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := !bytes.Equal(bundle, c.bundle)
	c.cert, c.bundle = &cert, bundle
	return changed, nil
}

func nearExpiry(cert *x509.Certificate, now time.Time) bool {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotAfter.Sub(now) < life/renewFraction
}

func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.Contains(cert.DNSNames, h) {
			return false
		}
	}
	return true
}

func parseCert(certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, nil, errors.New("no PEM key")
	}
	key, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func newCA(now time.Time) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "ferry-webhook-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(caLifetime),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return encode(der, key)
}

func newServing(ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time) ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "ferry-webhook"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(servingLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	return encode(der, key)
}

func encode(der []byte, key *ecdsa.PrivateKey) ([]byte, []byte, error) {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err)
	}
	return n
}
