package generator

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// TestSSHKeyPairs parses each generated pair back as OpenSSH would and checks the type,
// the size, the comment and that the public key is the private key's.
func TestSSHKeyPairs(t *testing.T) {
	tests := []struct {
		name, keyType string
		size          *int
		wantType      string
		wantBits      int
	}{
		{"default is RSA 2048", "", nil, ssh.KeyAlgoRSA, 2048},
		{"RSA 3072", "rsa", ptr(3072), ssh.KeyAlgoRSA, 3072},
		{"ed25519 ignores the size", "ed25519", ptr(4096), ssh.KeyAlgoED25519, 256},
		{"ECDSA default P-256", "ecdsa", nil, ssh.KeyAlgoECDSA256, 256},
		{"ECDSA P-384", "ecdsa", ptr(384), ssh.KeyAlgoECDSA384, 384},
		{"ECDSA P-521", "ecdsa", ptr(521), ssh.KeyAlgoECDSA521, 521},
		{"ECDSA other size gives P-256, as ESO", "ecdsa", ptr(1024), ssh.KeyAlgoECDSA256, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &genv1alpha1.GeneratorSpec{SSHKeySpec: &genv1alpha1.SSHKeySpec{KeyType: tt.keyType, KeySize: tt.size, Comment: "deploy@ci"}}
			got, err := NewSSHKey().Generate(context.Background(), spec, nil, "team")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(got["privateKey"]), "-----BEGIN OPENSSH PRIVATE KEY-----\n") {
				t.Fatalf("private key is not in OpenSSH format")
			}
			signer, err := ssh.ParsePrivateKey(got["privateKey"])
			if err != nil {
				t.Fatal(err)
			}
			public, comment, _, rest, err := ssh.ParseAuthorizedKey(got["publicKey"])
			if err != nil || len(rest) != 0 {
				t.Fatalf("public key %q: %v", got["publicKey"], err)
			}
			if comment != "deploy@ci" || !strings.HasSuffix(string(got["publicKey"]), " deploy@ci\n") {
				t.Errorf("public key line %q lacks the comment", got["publicKey"])
			}
			if public.Type() != tt.wantType || string(signer.PublicKey().Marshal()) != string(public.Marshal()) {
				t.Errorf("public key type %s (want %s), or not the private key's", public.Type(), tt.wantType)
			}
			if bits := keyBits(t, public); bits != tt.wantBits {
				t.Errorf("key has %d bits, want %d", bits, tt.wantBits)
			}
		})
	}
}

func keyBits(t *testing.T, public ssh.PublicKey) int {
	t.Helper()
	switch k := public.(ssh.CryptoPublicKey).CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return 256
	}
	t.Fatalf("unexpected key type %T", public)
	return 0
}

// TestSSHKeyFresh checks that each call gives a new pair.
func TestSSHKeyFresh(t *testing.T) {
	spec := &genv1alpha1.GeneratorSpec{SSHKeySpec: &genv1alpha1.SSHKeySpec{KeyType: "ed25519"}}
	first, err := NewSSHKey().Generate(context.Background(), spec, nil, "team")
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewSSHKey().Generate(context.Background(), spec, nil, "team")
	if err != nil {
		t.Fatal(err)
	}
	if string(first["publicKey"]) == string(second["publicKey"]) {
		t.Error("two calls gave the same key")
	}
	if strings.Count(string(first["publicKey"]), " ") != 1 {
		t.Errorf("without a comment the line is type and key only: %q", first["publicKey"])
	}
}

// TestSSHKeyRefusals checks the spec errors no retry fixes.
func TestSSHKeyRefusals(t *testing.T) {
	for _, s := range []genv1alpha1.SSHKeySpec{{KeyType: "rsa", KeySize: ptr(512)}, {KeyType: "dsa"}} {
		_, err := NewSSHKey().Generate(context.Background(), &genv1alpha1.GeneratorSpec{SSHKeySpec: &s}, nil, "team")
		if !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%+v: error %v, want an invalid spec", s, err)
		}
	}
}
