package aws

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures were encrypted by OpenSSL 3.0, not by Ferry, from testdata/pkcs8/key.pem
// (a throwaway P-256 key), with the passphrase below:
//
//	openssl pkcs8 -topk8 -in key.pem -v2 aes-128-cbc -v2prf hmacWithSHA1 -passout pass:... -out aes128-sha1.pem
//
// and likewise for the other files. moto encrypts with its own choice (the Python
// cryptography package's), which TestCertificateManagerExport covers.
const fixturePassphrase = "ferry-test-passphrase"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pkcs8", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecryptExportedKey(t *testing.T) {
	t.Parallel()
	want := strings.TrimSpace(string(readFixture(t, "key.pem")))
	for _, name := range []string{"aes128-sha1.pem", "aes192-sha256.pem", "aes256-sha512.pem", "key.pem"} {
		t.Run(name, func(t *testing.T) {
			got, err := decryptExportedKey(readFixture(t, name), []byte(fixturePassphrase))
			if err != nil {
				t.Fatalf("decryptExportedKey: %v", err)
			}
			if strings.TrimSpace(string(got)) != want {
				t.Errorf("decrypted key differs from the original:\n%s", got)
			}
		})
	}
	for _, tt := range []struct{ name, file, passphrase, want string }{
		{"wrong passphrase", "aes256-sha512.pem", "not-the-passphrase", "wrong passphrase"},
		{"cipher other than AES-CBC", "des3.pem", fixturePassphrase, "is not supported (AES-CBC is)"},
		{"not PEM", "", fixturePassphrase, "not PEM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			if tt.file != "" {
				in = readFixture(t, tt.file)
			}
			_, err := decryptExportedKey(in, []byte(tt.passphrase))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
