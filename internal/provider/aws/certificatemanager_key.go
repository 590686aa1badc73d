package aws

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // PBKDF2's default PRF in PKCS #5, read only to decrypt what AWS sent
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// ACM's ExportCertificate returns the private key encrypted with a passphrase the caller
// chooses, as a PKCS #8 EncryptedPrivateKeyInfo (PBES2: PBKDF2, then AES-CBC). The Go
// standard library parses only unencrypted PKCS #8, so the few structures of RFC 8018 that
// PBES2 needs are read here. Errors name the algorithm, never key material.

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
)

// pbkdf2PRFs are the PBKDF2 pseudo-random functions, by OID (RFC 8018 B.1).
var pbkdf2PRFs = map[string]func() hash.Hash{
	"1.2.840.113549.2.7":  sha1.New,
	"1.2.840.113549.2.9":  sha256.New,
	"1.2.840.113549.2.10": sha512.New384,
	"1.2.840.113549.2.11": sha512.New,
}

// aesCBCKeySizes are the AES-CBC encryption schemes, by OID, and their key sizes.
var aesCBCKeySizes = map[string]int{
	"2.16.840.1.101.3.4.1.2":  16,
	"2.16.840.1.101.3.4.1.22": 24,
	"2.16.840.1.101.3.4.1.42": 32,
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Parameters struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Parameters struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

// newExportPassphrase returns a random passphrase (26 base32 characters: AWS accepts 4 to
// 128 ASCII characters but #, $ and %). It protects the key on its way from AWS only and is
// never stored.
func newExportPassphrase() []byte { return []byte(rand.Text()) }

// decryptExportedKey turns the PEM "ENCRYPTED PRIVATE KEY" ExportCertificate returned into an
// unencrypted PEM "PRIVATE KEY" (PKCS #8), as a Kubernetes TLS Secret holds it. A key that
// arrives unencrypted is returned as it is.
func decryptExportedKey(encrypted, passphrase []byte) ([]byte, error) {
	block, _ := pem.Decode(encrypted)
	if block == nil {
		return nil, errors.New("the exported private key is not PEM")
	}
	switch block.Type {
	case "PRIVATE KEY":
		return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes}), nil
	case "ENCRYPTED PRIVATE KEY":
	default:
		return nil, fmt.Errorf("the exported private key is a PEM %q, not an ENCRYPTED PRIVATE KEY", block.Type)
	}
	der, err := decryptPKCS8(block.Bytes, passphrase)
	if err != nil {
		return nil, fmt.Errorf("decrypting the exported private key: %w", err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		return nil, errors.New("decrypting the exported private key: the result is not a PKCS #8 private key (wrong passphrase?)")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("not a PKCS #8 EncryptedPrivateKeyInfo")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encryption %s is not PBES2", info.Algorithm.Algorithm)
	}
	var params pbes2Parameters
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("malformed PBES2 parameters")
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("key derivation %s is not PBKDF2", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Parameters
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("malformed PBKDF2 parameters")
	}
	prf := sha1.New // the default of RFC 8018
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = pbkdf2PRFs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, fmt.Errorf("PBKDF2 function %s is not supported (HMAC with SHA-1, SHA-256, SHA-384 or SHA-512 are)", kdf.PRF.Algorithm)
		}
	}
	keySize, ok := aesCBCKeySizes[params.EncryptionScheme.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("cipher %s is not supported (AES-CBC is)", params.EncryptionScheme.Algorithm)
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keySize {
		return nil, fmt.Errorf("PBKDF2 key length %d does not fit the cipher", kdf.KeyLength)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("malformed AES-CBC initialisation vector")
	}
	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt, kdf.IterationCount, keySize)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	blockCipher, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	data := info.EncryptedData
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted data is not a whole number of AES blocks")
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(blockCipher, iv).CryptBlocks(plain, data)
	return unpad(plain)
}

// unpad removes PKCS #7 padding. A bad padding most often means a wrong passphrase.
func unpad(b []byte) ([]byte, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, errors.New("bad padding (wrong passphrase?)")
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errors.New("bad padding (wrong passphrase?)")
		}
	}
	return b[:len(b)-n], nil
}
