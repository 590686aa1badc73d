package yandex

import (
	"context"
	"errors"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const (
	leafPEM   = "-----BEGIN CERTIFICATE-----\nMIIBleaf\n-----END CERTIFICATE-----\n"
	issuerPEM = "\n-----BEGIN CERTIFICATE-----\nMIIBissuer\n-----END CERTIFICATE-----\n\n"
	keyPEM    = "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n"
)

// TestCertificateProperties: the bytes of each property ESO gives a certificate, by ID:
// chain, privateKey, and (also without a property) both, each part trimmed and ending in a
// newline; extract gives chain and privateKey as Certificate Manager answers them.
func TestCertificateProperties(t *testing.T) {
	f := newFixture(t)
	f.PutCert("fpqcert1", testFolder, "web", []string{leafPEM, issuerPEM}, keyPEM)
	c := f.client(t, NewCertificateManager(WithClock(f.Now)), f.certificateStore(""))
	ctx := context.Background()
	chain := "-----BEGIN CERTIFICATE-----\nMIIBleaf\n-----END CERTIFICATE-----\n" +
		"-----BEGIN CERTIFICATE-----\nMIIBissuer\n-----END CERTIFICATE-----\n"
	for prop, want := range map[string]string{
		"chain":              chain,
		"privateKey":         keyPEM,
		"chainAndPrivateKey": chain + keyPEM,
		"":                   chain + keyPEM,
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "fpqcert1", Property: prop})
		if err != nil || string(got) != want {
			t.Errorf("GetSecret property %q = %q, %v; want %q", prop, got, err, want)
		}
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "fpqcert1"})
	if err != nil || len(m) != 2 || string(m["chain"]) != leafPEM+"\n"+issuerPEM || string(m["privateKey"]) != keyPEM {
		t.Errorf("GetSecretMap = %q, %v", m, err)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "fpqcert1", Property: "tls.crt"})
	if err == nil || !strings.Contains(err.Error(), "chain, privateKey or chainAndPrivateKey") {
		t.Errorf("an unknown property = %v, want the properties there are", err)
	}
	if n := f.Calls("cm.Get"); n != 5 {
		t.Errorf("CertificateContentService.Get called %d times for 5 reads, want 5 (no call for an unknown property)", n)
	}
}

// TestCertificateByNameAndVersion: by name in the store's folder (GetEx), a version ID
// reads that version; a missing certificate is "not found", one the account may not
// download is not.
func TestCertificateByNameAndVersion(t *testing.T) {
	f := newFixture(t)
	old := f.PutCert("fpqcert1", testFolder, "web", []string{leafPEM}, "old-key")
	f.PutCert("fpqcert1", testFolder, "web", []string{leafPEM}, keyPEM)
	f.PutCert("fpqcert2", "b1gotherfolder", "web", []string{leafPEM}, "theirs")
	f.PutCert("fpqcert3", testFolder, "hidden", []string{leafPEM}, "hidden")
	f.SetCertReaders("fpqcert3")
	c := f.client(t, NewCertificateManager(WithClock(f.Now)), f.certificateStore(testFolder))
	ctx := context.Background()
	for version, want := range map[string]string{"": keyPEM, old: "old-key\n"} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "web", Property: "privateKey", Version: version})
		if err != nil || string(got) != want {
			t.Errorf("GetSecret of web version %q = %q, %v; want %q", version, got, err, want)
		}
	}
	if _, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "absent"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing certificate = %v, want ErrNotFound", err)
	}
	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "hidden"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "certificate-manager.certificates.downloader") {
		t.Errorf("PERMISSION_DENIED = %v, want the role to grant", err)
	}
	if f.Calls("cm.GetEx") != 4 || f.Calls("cm.Get") != 0 {
		t.Errorf("calls: GetEx %d, Get %d; want 4 and 0", f.Calls("cm.GetEx"), f.Calls("cm.Get"))
	}
}
