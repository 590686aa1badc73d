package passbolt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
)

// maxPlaintext bounds what one decrypted message may hold.
const maxPlaintext = 16 << 20

// userKey is the user's unlocked OpenPGP key: it decrypts what the server encrypted to the
// user, and its fingerprint names the user at login.
type userKey struct {
	ring        openpgp.EntityList
	fingerprint string
}

// unlockKey reads an armored private key and decrypts it with passphrase. Errors say which
// of the two is wrong, never quoting either.
func unlockKey(armored, passphrase []byte, keyField, passField string) (*userKey, error) {
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("%s: not an armored OpenPGP private key (-----BEGIN PGP PRIVATE KEY BLOCK-----): %s", keyField, cryptoProblem(err))
	}
	if len(ring) != 1 {
		return nil, fmt.Errorf("%s: holds %d OpenPGP keys; put only the Passbolt user's private key in it", keyField, len(ring))
	}
	entity := ring[0]
	if entity.PrivateKey == nil {
		return nil, fmt.Errorf("%s: holds a public key; put the Passbolt user's private key in it", keyField)
	}
	if err := entity.DecryptPrivateKeys(passphrase); err != nil {
		return nil, fmt.Errorf("%s: the passphrase does not unlock the private key in %s; put the key's passphrase in it", passField, keyField)
	}
	return &userKey{ring: ring, fingerprint: strings.ToUpper(fmt.Sprintf("%X", entity.PrimaryKey.Fingerprint))}, nil
}

// decrypt returns the plaintext of an armored OpenPGP message encrypted to one of ring's
// keys. Signatures are not checked, as go-passbolt does not check them: the server
// answers over TLS and a signer's key is not something the store names.
func decrypt(ring openpgp.EntityList, armored string) ([]byte, error) {
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("not an armored OpenPGP message: %s", cryptoProblem(err))
	}
	if block.Type != "PGP MESSAGE" {
		return nil, fmt.Errorf("an armored %q block, not a PGP MESSAGE", block.Type)
	}
	md, err := openpgp.ReadMessage(block.Body, ring, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt it with the key: %s", cryptoProblem(err))
	}
	plain, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, maxPlaintext+1))
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt it with the key: %s", cryptoProblem(err))
	}
	if len(plain) > maxPlaintext {
		return nil, fmt.Errorf("its plaintext is larger than %d bytes", maxPlaintext)
	}
	return plain, nil
}

// cryptoProblem describes an OpenPGP error by its class: the library's messages are about
// packets, never plaintext, but a fixed description keeps that true whatever its version
// says.
func cryptoProblem(err error) string {
	var unsupported pgperrors.UnsupportedError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too early"
	case errors.Is(err, pgperrors.ErrKeyIncorrect):
		return "it is not encrypted to this key"
	case errors.As(err, &unsupported):
		return "it uses an OpenPGP feature the library does not support"
	default:
		return "malformed OpenPGP data"
	}
}
