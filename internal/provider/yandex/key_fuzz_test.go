package yandex

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAuthorizedKey: any Secret value either gives a usable key or fails naming the field,
// and never quotes the file's private_key (here marked by a text that no message holds).
func FuzzAuthorizedKey(f *testing.F) {
	const marker = "zq9-private-marker-zq9"
	for _, seed := range []struct{ id, account, user, privateKey string }{
		{"aje1", "aje2", "", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
		{"aje1", "", "aje3", ""},
		{"", "aje2", "", "PLEASE DO NOT REMOVE THIS LINE!\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"},
		{"aje1", "aje2", "", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"},
	} {
		f.Add(seed.id, seed.account, seed.user, seed.privateKey)
	}
	f.Fuzz(func(t *testing.T, id, account, user, privateKey string) {
		file, _ := json.Marshal(map[string]string{"id": id, "service_account_id": account, "user_account_id": user,
			"private_key": privateKey + marker})
		key, err := parseAuthorizedKey(file, "auth.authorizedKeySecretRef")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "auth.authorizedKeySecretRef: ") {
				t.Fatalf("error %q does not start with the field", err)
			}
			if strings.Contains(err.Error(), marker) {
				t.Fatalf("error %q quotes the private key", err)
			}
			return
		}
		if key.signer == nil || key.ID == "" || key.ServiceAccountID == "" {
			t.Fatalf("a key without signer, id or account was accepted: %+v", key)
		}
	})
}
