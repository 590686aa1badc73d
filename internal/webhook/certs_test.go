package webhook

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"
)

func TestRenew(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Certs{Hosts: []string{"ferry-webhook.ferry-system.svc", "127.0.0.1"}, Now: func() time.Time { return now }}

	first, rotated, err := c.renew(nil)
	if err != nil || !rotated {
		t.Fatalf("first renew: rotated=%v err=%v", rotated, err)
	}
	serving, err := parseCert(first[keyTLSCert])
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := parseCert(first[keyCACert])
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, host := range c.Hosts {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: now}); err != nil {
			t.Errorf("serving certificate does not verify for %s: %v", host, err)
		}
	}

	if _, rotated, _ := c.renew(first); rotated {
		t.Error("fresh certificates were rotated")
	}

	// Two thirds into the serving certificate's life, it is replaced; the CA stays.
	now = now.Add(250 * 24 * time.Hour)
	second, rotated, _ := c.renew(first)
	if !rotated || bytes.Equal(second[keyTLSCert], first[keyTLSCert]) {
		t.Fatal("serving certificate near expiry was not rotated")
	}
	if !bytes.Equal(second[keyCACert], first[keyCACert]) {
		t.Fatal("CA was rotated with the serving certificate")
	}

	// A new host needs a new serving certificate.
	c.Hosts = append(c.Hosts, "ferry-webhook.other.svc")
	third, rotated, _ := c.renew(second)
	if !rotated || bytes.Equal(third[keyTLSCert], second[keyTLSCert]) {
		t.Fatal("serving certificate not reissued for a new host")
	}

	// Near the CA's end, a new CA is made and the old one stays in the bundle.
	now = now.Add(4 * 365 * 24 * time.Hour)
	fourth, rotated, _ := c.renew(third)
	if !rotated || bytes.Equal(fourth[keyCACert], third[keyCACert]) {
		t.Fatal("CA near expiry was not rotated")
	}
	if !bytes.Equal(fourth[keyOldCA], third[keyCACert]) {
		t.Fatal("previous CA not kept for the overlap")
	}
	newCA, _ := parseCert(fourth[keyCACert])
	newServing, _ := parseCert(fourth[keyTLSCert])
	if err := newServing.CheckSignatureFrom(newCA); err != nil {
		t.Fatalf("serving certificate not signed by the new CA: %v", err)
	}

	// Once the old CA has expired it leaves the bundle.
	now = now.Add(2 * 365 * 24 * time.Hour)
	fifth, _, _ := c.renew(fourth)
	if _, ok := fifth[keyOldCA]; ok {
		t.Fatal("expired previous CA still in the bundle")
	}
}
