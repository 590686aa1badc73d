package generator

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// SSHKey generates an SSH key pair: privateKey in OpenSSH format (PEM block "OPENSSH
// PRIVATE KEY") and publicKey as one authorized_keys line, comment appended.
type SSHKey struct{}

// NewSSHKey returns the generator.
func NewSSHKey() *SSHKey { return &SSHKey{} }

// Kind returns "SSHKey".
func (*SSHKey) Kind() string { return genv1alpha1.SSHKeyKind }

// Generate creates a new key pair. keyType rsa (the default, 2048 bits unless keySize
// says otherwise), ecdsa (keySize 256, 384 or 521 picks the curve; any other size gives
// P-256, as External Secrets Operator does) or ed25519 (keySize ignored).
func (*SSHKey) Generate(_ context.Context, spec *genv1alpha1.GeneratorSpec, _ client.Client, _ string) (map[string][]byte, error) {
	s := spec.SSHKeySpec
	private, err := newSSHPrivateKey(s.KeyType, s.KeySize)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(private, s.Comment)
	if err != nil {
		return nil, fmt.Errorf("encoding the private key: %w", err)
	}
	public, err := ssh.NewPublicKey(private.Public())
	if err != nil {
		return nil, fmt.Errorf("encoding the public key: %w", err)
	}
	line := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(public)), "\n")
	if s.Comment != "" {
		line += " " + s.Comment
	}
	return map[string][]byte{
		"privateKey": pem.EncodeToMemory(block),
		"publicKey":  []byte(line + "\n"),
	}, nil
}

// sshMinRSABits is the smallest RSA key Go's crypto/rsa generates.
const sshMinRSABits = 1024

// newSSHPrivateKey generates a private key of keyType and size.
func newSSHPrivateKey(keyType string, size *int) (crypto.Signer, error) {
	switch keyType {
	case "", "rsa":
		bits := 2048
		if size != nil {
			bits = *size
		}
		if bits < sshMinRSABits {
			return nil, invalid(fmt.Errorf("spec.keySize: RSA keys of %d bits are refused; use 2048 or more", bits))
		}
		return rsa.GenerateKey(rand.Reader, bits)
	case "ecdsa":
		curve := elliptic.P256()
		if size != nil && *size == 384 {
			curve = elliptic.P384()
		} else if size != nil && *size == 521 {
			curve = elliptic.P521()
		}
		return ecdsa.GenerateKey(curve, rand.Reader)
	case "ed25519":
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	default:
		return nil, invalid(fmt.Errorf("spec.keyType: %q is not one of rsa, ecdsa, ed25519", keyType))
	}
}
