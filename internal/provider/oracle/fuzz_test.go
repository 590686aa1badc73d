package oracle

import (
	"strings"
	"testing"
)

// FuzzPrivateKey: whatever a user puts in the private key's Secret key, building the signer
// does not panic, and an error does not quote what was given.
func FuzzPrivateKey(f *testing.F) {
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	f.Add([]byte("not a key at all, but long enough to be noticed"))
	f.Fuzz(func(t *testing.T, key []byte) {
		s, err := newSigner(testTenancy, testUser, testFingerprint, key, nil)
		if err == nil {
			if s.key == nil {
				t.Fatal("no error and no key")
			}
			return
		}
		if len(key) >= 24 && strings.Contains(err.Error(), string(key)) {
			t.Errorf("the error quotes the key: %v", err)
		}
	})
}
