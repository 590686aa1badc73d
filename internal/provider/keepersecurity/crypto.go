package keepersecurity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// gcmNonceSize is the nonce Keeper puts in front of every AES-GCM message.
const gcmNonceSize = 12

// seal encrypts plain with AES-256-GCM under key, as nonce || ciphertext || tag.
func seal(key, plain []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcmNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

// open reverses seal.
func open(key, sealed []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) <= gcmNonceSize {
		return nil, errors.New("the encrypted message is too short")
	}
	return aead.Open(nil, sealed[:gcmNonceSize], sealed[gcmNonceSize:], nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("the key is not 32 bytes long")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealTo encrypts data to a P-256 public key as Keeper's SDKs do: an ephemeral key pair,
// SHA-256 of the ECDH shared secret as AES-256-GCM key, and the ephemeral public key
// (uncompressed point) in front of the sealed data.
func sealTo(to *ecdh.PublicKey, data []byte) ([]byte, error) {
	ephemeral, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	shared, err := ephemeral.ECDH(to)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256(shared)
	sealed, err := seal(key[:], data)
	if err != nil {
		return nil, err
	}
	return append(ephemeral.PublicKey().Bytes(), sealed...), nil
}

// sign is the ECDSA P-256 signature (ASN.1 DER) over SHA-256 of data.
func sign(priv *ecdsa.PrivateKey, data []byte) ([]byte, error) {
	digest := sha256.Sum256(data)
	return ecdsa.SignASN1(rand.Reader, priv, digest[:])
}

// decodeBase64 reads Keeper's base64, which its SDKs write both standard and URL-safe,
// padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
