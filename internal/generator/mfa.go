package generator

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238's default HMAC; not used to protect anything here
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// MFA generates a time-based one-time password (TOTP, RFC 6238) from a shared seed kept in
// a Secret: token, the code, and timeLeft, the seconds it stays valid.
type MFA struct {
	now func() time.Time
}

// NewMFA returns the generator.
func NewMFA() *MFA { return &MFA{now: time.Now} }

// Kind returns "MFA".
func (*MFA) Kind() string { return genv1alpha1.MFAKind }

// Generate reads the seed (base32, as authenticator apps show it; spaces, case and padding
// do not matter) in namespace and computes the code for spec.when, or now.
func (g *MFA) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.MFASpec
	length, period := s.Length, s.TimePeriod
	if length == 0 {
		length = 6
	}
	if period == 0 {
		period = 30
	}
	if length < 1 || length > 10 {
		return nil, invalid(fmt.Errorf("spec.length: a code has 1 to 10 digits, not %d", length))
	}
	if period < 0 {
		return nil, invalid(fmt.Errorf("spec.timePeriod: must be positive, not %d", period))
	}
	newHash, err := totpHash(s.Algorithm)
	if err != nil {
		return nil, invalid(err)
	}
	seed, err := secretKey(ctx, kube, namespace, s.Secret, "spec.secret")
	if err != nil {
		return nil, err
	}
	key, err := decodeTOTPSeed(string(seed))
	if err != nil {
		return nil, invalid(fmt.Errorf("spec.secret: %w", err))
	}
	when := g.now()
	if s.When != nil {
		when = s.When.Time
	}
	unix := when.Unix()
	step := uint64(unix / int64(period)) //nolint:gosec // Unix times before 1970 are not asked for
	left := int64(period) - unix%int64(period)
	return map[string][]byte{
		"token":    []byte(hotp(newHash, key, step, length)),
		"timeLeft": []byte(strconv.FormatInt(left, 10)),
	}, nil
}

// totpHash returns the HMAC hash of algorithm: sha1 (default), sha256, sha512, and the
// sha384 and sha512_256 that External Secrets Operator also names.
func totpHash(algorithm string) (func() hash.Hash, error) {
	switch strings.ToLower(algorithm) {
	case "", "sha1":
		return sha1.New, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	case "sha512_256":
		return sha512.New512_256, nil
	}
	return nil, fmt.Errorf("spec.algorithm: %q is not one of sha1, sha256, sha384, sha512, sha512_256", algorithm)
}

// decodeTOTPSeed decodes a base32 seed as people copy it: grouped with spaces, in either
// case, with or without padding. The error says nothing of the seed.
func decodeTOTPSeed(seed string) ([]byte, error) {
	cleaned := strings.ToUpper(strings.TrimRight(strings.Join(strings.Fields(seed), ""), "="))
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(cleaned)
	if err != nil || len(key) == 0 {
		return nil, errors.New("the seed is not base32 (RFC 4648) text")
	}
	return key, nil
}

// hotp is RFC 4226's HOTP value of counter, with digits digits: dynamic truncation of the
// HMAC, modulo 10^digits, zero-padded.
func hotp(newHash func() hash.Hash, key []byte, counter uint64, digits int) string {
	mac := hmac.New(newHash, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	code := uint64(binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff)
	modulus := uint64(1)
	for range digits {
		modulus *= 10
	}
	return fmt.Sprintf("%0*d", digits, code%modulus)
}
