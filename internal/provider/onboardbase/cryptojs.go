package onboardbase

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5" //nolint:gosec // OpenSSL's EVP_BytesToKey is MD5 by definition; the format is Onboardbase's, not ours
	"encoding/base64"
	"errors"
	"unicode/utf8"
)

// saltedMagic opens every ciphertext in the OpenSSL "enc" format CryptoJS writes.
const saltedMagic = "Salted__"

// errUndecryptable is what any ciphertext that does not open with the passcode gives: the
// causes (wrong passcode, altered text) are not told apart, and nothing of the text is quoted.
var errUndecryptable = errors.New("not AES ciphertext this passcode opens")

// decrypt opens what CryptoJS.AES.encrypt(text, passphrase) produced: base64 of "Salted__",
// an 8-byte salt and AES-256-CBC ciphertext with PKCS#7 padding, whose key and IV are derived
// from the passphrase and salt by OpenSSL's EVP_BytesToKey (MD5, one round).
//
// An empty text is the empty string, as CryptoJS decrypts it, so that a value sent empty
// reads as empty rather than failing the environment.
func decrypt(encoded, passphrase string) (string, error) {
	if encoded == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", errUndecryptable
	}
	if len(raw) < len(saltedMagic)+8+aes.BlockSize || string(raw[:len(saltedMagic)]) != saltedMagic {
		return "", errUndecryptable
	}
	salt, body := raw[len(saltedMagic):len(saltedMagic)+8], raw[len(saltedMagic)+8:]
	if len(body)%aes.BlockSize != 0 {
		return "", errUndecryptable
	}
	key, iv := bytesToKey([]byte(passphrase), salt)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	plain := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, body)
	return unpad(plain)
}

// bytesToKey is OpenSSL's EVP_BytesToKey with MD5 and one round, for AES-256-CBC: it chains
// D_i = MD5(D_{i-1} || passphrase || salt) until 48 bytes give the key (32) and the IV (16).
func bytesToKey(passphrase, salt []byte) (key, iv []byte) {
	var derived, prev []byte
	for len(derived) < 32+aes.BlockSize {
		h := md5.New() //nolint:gosec // see the import
		h.Write(prev)
		h.Write(passphrase)
		h.Write(salt)
		prev = h.Sum(nil)
		derived = append(derived, prev...)
	}
	return derived[:32], derived[32 : 32+aes.BlockSize]
}

// unpad removes PKCS#7 padding, checking every padding byte, and checks that the text is
// UTF-8: a wrong passcode leaves bytes that are neither, which is how it is detected.
func unpad(plain []byte) (string, error) {
	if len(plain) == 0 {
		return "", errUndecryptable
	}
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize || n > len(plain) {
		return "", errUndecryptable
	}
	if !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return "", errUndecryptable
	}
	// CryptoJS reads the plaintext as UTF-8 and fails on anything else, as Onboardbase's
	// own clients do.
	if !utf8.Valid(plain[:len(plain)-n]) {
		return "", errUndecryptable
	}
	return string(plain[:len(plain)-n]), nil
}
