package generator

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/validation"
)

// samples is how many passwords each case draws: enough that a rule broken one time in a
// hundred shows up.
const samples = 500

func ptr[T any](v T) *T { return &v }

func generatePassword(t *testing.T, spec genv1alpha1.PasswordSpec) map[string][]byte {
	t.Helper()
	g := &genv1alpha1.GeneratorSpec{PasswordSpec: &spec}
	if err := validation.Generator(genv1alpha1.PasswordKind, g, "spec"); err != nil {
		t.Fatalf("spec refused: %v", err)
	}
	out, err := NewPassword().Generate(context.Background(), g, nil, "ns")
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out
}

// classes counts the characters of each class in a password.
func classes(password string, symbols string) (digits, syms, lower, upper, other int) {
	for _, r := range password {
		switch {
		case strings.ContainsRune(symbols, r):
			syms++
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLower(r):
			lower++
		case unicode.IsUpper(r):
			upper++
		default:
			other++
		}
	}
	return
}

func TestPasswordRules(t *testing.T) {
	tests := []struct {
		name string
		spec genv1alpha1.PasswordSpec
		// want counts of one password; -1 means "any".
		length, digits, symbols int
		noUpper, unique         bool
		symbolSet               string
	}{
		{name: "defaults", spec: genv1alpha1.PasswordSpec{Length: 24},
			length: 24, digits: 6, symbols: 6, unique: true, symbolSet: genv1alpha1.DefaultSymbolCharacters},
		{name: "ESO example", spec: genv1alpha1.PasswordSpec{Length: 42, Digits: ptr(5), Symbols: ptr(5),
			SymbolCharacters: ptr("-_$@"), AllowRepeat: true},
			length: 42, digits: 5, symbols: 5, symbolSet: "-_$@"},
		{name: "no symbols, no upper", spec: genv1alpha1.PasswordSpec{Length: 20, Digits: ptr(4), Symbols: ptr(0), NoUpper: true},
			length: 20, digits: 4, symbols: 0, noUpper: true, unique: true, symbolSet: genv1alpha1.DefaultSymbolCharacters},
		{name: "digits only", spec: genv1alpha1.PasswordSpec{Length: 10, Digits: ptr(10), Symbols: ptr(0)},
			length: 10, digits: 10, symbols: 0, unique: true, symbolSet: genv1alpha1.DefaultSymbolCharacters},
		{name: "long with repeats", spec: genv1alpha1.PasswordSpec{Length: 200, AllowRepeat: true},
			length: 200, digits: 50, symbols: 50, symbolSet: genv1alpha1.DefaultSymbolCharacters},
		{name: "one character", spec: genv1alpha1.PasswordSpec{Length: 1},
			length: 1, digits: 0, symbols: 0, unique: true, symbolSet: genv1alpha1.DefaultSymbolCharacters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range samples {
				password := string(generatePassword(t, tt.spec)["password"])
				if n := len([]rune(password)); n != tt.length {
					t.Fatalf("length %d, want %d", n, tt.length)
				}
				digits, syms, _, upper, other := classes(password, tt.symbolSet)
				if digits != tt.digits || syms != tt.symbols || other != 0 {
					t.Fatalf("%d digits, %d symbols, %d others; want %d digits, %d symbols, no others",
						digits, syms, other, tt.digits, tt.symbols)
				}
				if tt.noUpper && upper != 0 {
					t.Fatalf("%d upper-case letters with noUpper", upper)
				}
				if tt.unique {
					runes := map[rune]bool{}
					for _, r := range password {
						if runes[r] {
							t.Fatalf("character %q repeats without allowRepeat", r)
						}
						runes[r] = true
					}
				}
				seen[password] = true
			}
			// A few repeats are chance, not a weak generator: ten distinct digits have only
			// 10! orders, so 500 draws repeat one about 3% of the time; a broken generator
			// repeats far more.
			if tt.length >= 10 && len(seen) < samples-5 {
				t.Errorf("%d distinct passwords in %d draws", len(seen), samples)
			}
		})
	}
}

// TestPasswordUsesWholeAlphabet checks that every letter, digit and symbol turns up, and
// that the classes do not sit in fixed positions.
func TestPasswordUsesWholeAlphabet(t *testing.T) {
	spec := genv1alpha1.PasswordSpec{Length: 24, AllowRepeat: true}
	all := lowerLetters + upperLetters + digitChars + genv1alpha1.DefaultSymbolCharacters
	seen := map[rune]bool{}
	firstIsDigit, firstIsSymbol := 0, 0
	for range samples {
		password := string(generatePassword(t, spec)["password"])
		for _, r := range password {
			seen[r] = true
		}
		first := []rune(password)[0]
		if unicode.IsDigit(first) {
			firstIsDigit++
		}
		if strings.ContainsRune(genv1alpha1.DefaultSymbolCharacters, first) {
			firstIsSymbol++
		}
	}
	for _, r := range all {
		if !seen[r] {
			t.Errorf("%q never appeared in %d passwords", r, samples)
		}
	}
	// A quarter of the characters are digits and a quarter symbols: the first position
	// should be each about a quarter of the time, never always or never.
	for name, n := range map[string]int{"digit": firstIsDigit, "symbol": firstIsSymbol} {
		if n < samples/10 || n > samples/2 {
			t.Errorf("the first character was a %s %d times in %d", name, n, samples)
		}
	}
}

func TestPasswordSecretKeysAreIndependent(t *testing.T) {
	out := generatePassword(t, genv1alpha1.PasswordSpec{Length: 32, SecretKeys: []string{"admin", "user", "replication"}})
	if len(out) != 3 {
		t.Fatalf("got keys %v, want admin, user, replication", keysOf(out))
	}
	if string(out["admin"]) == string(out["user"]) || string(out["user"]) == string(out["replication"]) {
		t.Error("two keys got the same password")
	}
}

func TestPasswordEncodings(t *testing.T) {
	decoders := map[string]func(string) ([]byte, error){
		"raw":       func(s string) ([]byte, error) { return []byte(s), nil },
		"base64":    base64.StdEncoding.DecodeString,
		"base64url": base64.URLEncoding.DecodeString,
		"base32":    base32.StdEncoding.DecodeString,
		"hex":       hex.DecodeString,
	}
	for encoding, decode := range decoders {
		t.Run(encoding, func(t *testing.T) {
			for range 50 {
				encoded := string(generatePassword(t, genv1alpha1.PasswordSpec{Length: 16, Encoding: ptr(encoding)})["password"])
				raw, err := decode(encoded)
				if err != nil {
					t.Fatalf("%q does not decode as %s: %v", encoded, encoding, err)
				}
				if n := len([]rune(string(raw))); n != 16 {
					t.Fatalf("decoded password has %d characters, want 16", n)
				}
			}
		})
	}
}

func TestPasswordSymbolsOverlappingLettersStayUnique(t *testing.T) {
	// Every letter is also a symbol: without allowRepeat, no character may repeat anyway.
	spec := genv1alpha1.PasswordSpec{Length: 20, Digits: ptr(0), Symbols: ptr(10), SymbolCharacters: ptr(lowerLetters), NoUpper: true}
	for range samples {
		password := string(generatePassword(t, spec)["password"])
		runes := map[rune]bool{}
		for _, r := range password {
			if runes[r] {
				t.Fatalf("character %q repeats in %q", r, password)
			}
			runes[r] = true
		}
	}
	// 26 distinct characters exist; 27 cannot be drawn.
	spec.Length = 27
	g := &genv1alpha1.GeneratorSpec{PasswordSpec: &spec}
	if _, err := NewPassword().Generate(context.Background(), g, nil, "ns"); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("27 distinct characters from 26: got %v, want ErrInvalidSpec", err)
	}
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
