package template

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"testing"
)

func oaepEncrypt(t *testing.T, hash crypto.Hash, key *rsa.PublicKey, plaintext string) string {
	t.Helper()
	ciphertext, err := rsa.EncryptOAEP(hash.New(), rand.Reader, key, []byte(plaintext), nil)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ciphertext)
}

func TestRSADecrypt(t *testing.T) {
	p := testCerts(t)
	public := p.leafKey.Public().(*rsa.PublicKey)
	const plaintext = "db-password: correct horse"
	values := map[string]string{
		"sha256": oaepEncrypt(t, crypto.SHA256, public, plaintext),
		"sha1":   oaepEncrypt(t, crypto.SHA1, public, plaintext),
		"sha512": oaepEncrypt(t, crypto.SHA512, public, plaintext),
		"pkcs8":  p.leafKeyPKCS8PEM,
		"pkcs1":  p.leafKeyPKCS1PEM,
		"ec":     p.ecKeyPKCS8PEM,
		"plain":  "not encrypted",
	}
	tests := []struct{ name, template, want string }{
		{"SHA256, PKCS#8 key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.sha256 | b64dec) .pkcs8 }}`, plaintext},
		{"SHA256, PKCS#1 key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.sha256 | b64dec) .pkcs1 }}`, plaintext},
		{"SHA1", `{{ rsaDecrypt "RSA-OAEP" "SHA1" (.sha1 | b64dec) .pkcs8 }}`, plaintext},
		{"SHA512", `{{ rsaDecrypt "RSA-OAEP" "SHA512" (.sha512 | b64dec) .pkcs8 }}`, plaintext},
		{"hash None means SHA256", `{{ rsaDecrypt "RSA-OAEP" "None" (.sha256 | b64dec) .pkcs8 }}`, plaintext},
		{"an unknown hash means SHA256, as in ESO", `{{ rsaDecrypt "RSA-OAEP" "SHA384" (.sha256 | b64dec) .pkcs8 }}`, plaintext},
		{"piped key", `{{ .pkcs8 | rsaDecrypt "RSA-OAEP" "SHA256" (.sha256 | b64dec) }}`, plaintext},
		{"scheme None returns the input", `{{ rsaDecrypt "None" "SHA256" .plain .pkcs8 }}`, "not encrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV2, tt.template, values); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	errorTests := []struct{ name, template, want string }{
		{"wrong hash", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.sha1 | b64dec) .pkcs8 }}`, "the ciphertext cannot be decrypted with this key and hash"},
		{"still base64", `{{ rsaDecrypt "RSA-OAEP" "SHA256" .sha256 .pkcs8 }}`, "the ciphertext cannot be decrypted with this key and hash"},
		{"not an RSA key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.sha256 | b64dec) .ec }}`, "the private key is not an RSA key"},
		{"no key", `{{ rsaDecrypt "RSA-OAEP" "SHA256" (.sha256 | b64dec) .plain }}`, "no PEM private key found"},
		{"PKCS#1 v1.5 is not ESO's", `{{ rsaDecrypt "RSA-PKCS1v15" "SHA256" (.sha256 | b64dec) .pkcs8 }}`, `the decryption scheme is not supported: want "RSA-OAEP" or "None"`},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, EngineV2, tt.template, values)
			errContains(t, err, "error calling rsaDecrypt: "+tt.want)
		})
	}
}
