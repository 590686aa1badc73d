package template

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha1" //nolint:gosec // OAEP with SHA-1, which ESO offers, needs no collision resistance
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// The names rsaDecrypt takes, as ESO spells them.
const (
	rsaSchemeNone = "None"
	rsaSchemeOAEP = "RSA-OAEP"
)

// rsaDecrypt decrypts ciphertext (raw bytes, not base64) with an RSA private key in PEM, as
// ESO's rsaDecrypt does: scheme "RSA-OAEP" uses OAEP with the named hash for both the
// digest and MGF1 and an empty label; scheme "None" returns the input unchanged.
func rsaDecrypt(scheme, hashName, ciphertext, privateKeyPEM string) (string, error) {
	switch scheme {
	case rsaSchemeNone:
		return ciphertext, nil
	case rsaSchemeOAEP:
	default:
		return "", safeErrorf("the decryption scheme is not supported: want %q or %q", rsaSchemeOAEP, rsaSchemeNone)
	}
	key, err := parsePrivateKeyPEM([]byte(privateKeyPEM))
	if err != nil {
		return "", err
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return "", safeErrorf("the private key is not an RSA key")
	}
	plaintext, err := rsa.DecryptOAEP(oaepHash(hashName).New(), nil, rsaKey, []byte(ciphertext), nil)
	if err != nil {
		return "", safeErrorf("the ciphertext cannot be decrypted with this key and hash (RSA-OAEP)")
	}
	return string(plaintext), nil
}

// oaepHash maps ESO's hash names to a hash. Like ESO, "None" and any name it does not know
// mean SHA-256, so a manifest that works with ESO decrypts the same way here.
func oaepHash(name string) crypto.Hash {
	switch name {
	case "SHA1":
		// OAEP with SHA-1 does not rely on collision resistance; ESO offers it.
		return crypto.SHA1
	case "SHA512":
		return crypto.SHA512
	default:
		return crypto.SHA256
	}
}
