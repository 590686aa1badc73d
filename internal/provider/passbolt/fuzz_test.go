package passbolt

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzPlainSecret feeds any decrypted secret to every resource type: no panic, a password
// string type gives the plaintext as the password, and an error never quotes the
// plaintext.
func FuzzPlainSecret(f *testing.F) {
	f.Add("password-and-description", []byte(`{"password":"p","description":"d"}`))
	f.Add("v5-default", []byte(`{"object_type":"PASSBOLT_SECRET_DATA","password":"p"}`))
	f.Add("password-string", []byte("plain password"))
	f.Add("password-description-totp", []byte(`{"password":null,"totp":{"secret_key":"x"}}`))
	f.Add("v5-default", []byte(`not json: s3cr3t-value`))
	f.Fuzz(func(t *testing.T, slug string, plain []byte) {
		e, err := withPlainSecret(entry{Name: "n"}, slug, plain)
		if err != nil {
			// The type's slug is quoted, and is no secret: look for the plaintext elsewhere.
			msg := strings.ReplaceAll(err.Error(), strconv.Quote(slug), "")
			if len(plain) >= 6 && strings.Contains(msg, string(plain)) {
				t.Errorf("the error quotes the plaintext: %v", err)
			}
			return
		}
		if (slug == "password-string" || slug == "v5-password-string") && e.Password != string(plain) {
			t.Errorf("%s gave a password of %d bytes, want the %d bytes of the plaintext", slug, len(e.Password), len(plain))
		}
		if e.Name != "n" {
			t.Error("the secret changed the resource's name")
		}
	})
}
