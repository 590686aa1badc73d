package onboardbase

import (
	"encoding/base64"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
)

// TestDecryptOpenSSLVectors decrypts ciphertexts made by OpenSSL 3
// (`openssl enc -aes-256-cbc -md md5 -pass pass:'my passcode' -base64 -A`), the format
// CryptoJS.AES.encrypt writes and Onboardbase sends: the derivation and the cipher are checked
// against an implementation that is not ours.
func TestDecryptOpenSSLVectors(t *testing.T) {
	for _, tt := range []struct{ ciphertext, want string }{
		{"U2FsdGVkX19xuAIpH6xm25shVrkIjncoKV6JaoNH90UDYkMZLP0pJvwqLXSx4zHS", "postgres://admin:pw@db:5432/app"},
		{"U2FsdGVkX18f90kTytaCL88qKezfrJTnXGeE3D7naL0=", ""},
		{"U2FsdGVkX1+/A+vTBgnPAydE6a8DpExaP4n8EcvoxqCkh37yuh42gAzSiNFRT12X", `ключ-✓ {"a":1}`},
		{"U2FsdGVkX1/s3Q5eXrfqqgPOVQRR9z7xGCqKEBxJVs4=", "DB_PASSWORD"},
	} {
		got, err := decrypt(tt.ciphertext, "my passcode")
		if err != nil || got != tt.want {
			t.Errorf("decrypt(%s) = %q, %v, want %q", tt.ciphertext, got, err, tt.want)
		}
		if _, err := decrypt(tt.ciphertext, "my passcodE"); !errors.Is(err, errUndecryptable) {
			t.Errorf("decrypt(%s) with another passcode = %v, want errUndecryptable", tt.ciphertext, err)
		}
	}
}

func TestDecryptRefusesWhatIsNotSaltedAES(t *testing.T) {
	valid := onboardbasefake.CryptoJSEncrypt("value", "pc")
	raw, _ := base64.StdEncoding.DecodeString(valid)
	for name, text := range map[string]string{
		"not base64":      "%%%",
		"no magic":        base64.StdEncoding.EncodeToString(append([]byte("Unsalted"), raw[8:]...)),
		"only a header":   base64.StdEncoding.EncodeToString(raw[:16]),
		"partial block":   base64.StdEncoding.EncodeToString(raw[:len(raw)-3]),
		"plain text":      "value",
		"one bit flipped": base64.StdEncoding.EncodeToString(append(append([]byte{}, raw[:len(raw)-1]...), raw[len(raw)-1]^1)),
	} {
		if got, err := decrypt(text, "pc"); !errors.Is(err, errUndecryptable) {
			t.Errorf("%s: decrypt = %q, %v, want errUndecryptable", name, got, err)
		}
	}
	if got, err := decrypt("", "pc"); err != nil || got != "" {
		t.Errorf("decrypt of an empty text = %q, %v, want the empty string, as CryptoJS gives", got, err)
	}
	if got, err := decrypt(valid, "pc"); err != nil || got != "value" {
		t.Errorf("decrypt of the untouched text = %q, %v", got, err)
	}
}

// FuzzDecrypt: any text the server sends, decrypted with any passcode, gives a value or
// errUndecryptable, never a panic; and what the server encrypts comes back as it was.
func FuzzDecrypt(f *testing.F) {
	f.Add("U2FsdGVkX19xuAIpH6xm25shVrkIjncoKV6JaoNH90UDYkMZLP0pJvwqLXSx4zHS", "my passcode")
	f.Add("U2FsdGVkX18=", "")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, text, passcode string) {
		if _, err := decrypt(text, passcode); err != nil && !errors.Is(err, errUndecryptable) {
			t.Errorf("decrypt = %v, want errUndecryptable", err)
		}
		if !utf8.ValidString(text) {
			return
		}
		if got, err := decrypt(onboardbasefake.CryptoJSEncrypt(text, passcode), passcode); err != nil || got != text {
			t.Errorf("round trip of %d bytes = %d bytes, %v", len(text), len(got), err)
		}
	})
}
