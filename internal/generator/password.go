package generator

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/validation"
)

// Alphabets a password draws from, besides its symbols.
const (
	lowerLetters = "abcdefghijklmnopqrstuvwxyz"
	upperLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitChars   = "0123456789"
)

// Password generates random passwords with crypto/rand: for each output key, exactly the
// number of digits, symbols and letters the spec asks for, in random order.
type Password struct{}

// NewPassword returns the Password generator.
func NewPassword() Password { return Password{} }

// Kind returns "Password".
func (Password) Kind() string { return genv1alpha1.PasswordKind }

// Generate returns one password under each of spec.secretKeys ("password" when unset).
func (Password) Generate(_ context.Context, spec *genv1alpha1.GeneratorSpec, _ client.Client, _ string) (map[string][]byte, error) {
	p := spec.PasswordSpec
	keys := p.SecretKeys
	if len(keys) == 0 {
		keys = []string{genv1alpha1.DefaultPasswordKey}
	}
	out := make(map[string][]byte, len(keys))
	for _, key := range keys {
		password, err := newPassword(p)
		if err != nil {
			return nil, err
		}
		out[key] = encodePassword(p.Encoding, password)
	}
	return out, nil
}

// newPassword draws one password. Without allowRepeat no character appears twice, across
// classes too (symbolCharacters may hold letters or digits).
func newPassword(p *genv1alpha1.PasswordSpec) ([]byte, error) {
	digits, symbols, letters := validation.PasswordCounts(p)
	letterSet := lowerLetters
	if !p.NoUpper {
		letterSet += upperLetters
	}
	used := map[rune]bool{}
	runes := make([]rune, 0, p.Length)
	for _, class := range []struct {
		name  string
		count int
		set   []rune
	}{
		{"symbols", symbols, validation.PasswordSymbols(p)},
		{"digits", digits, []rune(digitChars)},
		{"letters", letters, []rune(letterSet)},
	} {
		for range class.count {
			pool := class.set
			if !p.AllowRepeat {
				pool = unused(class.set, used)
			}
			if len(pool) == 0 {
				return nil, invalid(fmt.Errorf("spec: not enough distinct %s for a password without repeated characters; set allowRepeat or ask for fewer", class.name))
			}
			i, err := randomIndex(len(pool))
			if err != nil {
				return nil, err
			}
			used[pool[i]] = true
			runes = append(runes, pool[i])
		}
	}
	// Fisher-Yates, so the classes do not sit in blocks.
	for i := len(runes) - 1; i > 0; i-- {
		j, err := randomIndex(i + 1)
		if err != nil {
			return nil, err
		}
		runes[i], runes[j] = runes[j], runes[i]
	}
	return []byte(string(runes)), nil
}

func unused(set []rune, used map[rune]bool) []rune {
	out := make([]rune, 0, len(set))
	for _, r := range set {
		if !used[r] {
			out = append(out, r)
		}
	}
	return out
}

// randomIndex returns a uniform random integer in [0, n) from crypto/rand.
func randomIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, errors.New("reading random bytes failed")
	}
	return int(v.Int64()), nil
}

func encodePassword(encoding *string, password []byte) []byte {
	if encoding == nil {
		return password
	}
	switch *encoding {
	case "base64":
		return []byte(base64.StdEncoding.EncodeToString(password))
	case "base64url":
		return []byte(base64.URLEncoding.EncodeToString(password))
	case "base32":
		return []byte(base32.StdEncoding.EncodeToString(password))
	case "hex":
		return []byte(hex.EncodeToString(password))
	default:
		return password
	}
}
