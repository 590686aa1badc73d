package validation

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// generatorSpecKeys maps each generator kind Ferry generates (every kind of ESO v2.9) to its key in a
// ClusterGenerator's spec.generator union.
var generatorSpecKeys = map[string]string{
	genv1alpha1.PasswordKind:              "passwordSpec",
	genv1alpha1.UUIDKind:                  "uuidSpec",
	genv1alpha1.FakeKind:                  "fakeSpec",
	genv1alpha1.ECRAuthorizationTokenKind: "ecrAuthorizationTokenSpec",
	genv1alpha1.STSSessionTokenKind:       "stsSessionTokenSpec",
	genv1alpha1.VaultDynamicSecretKind:    "vaultDynamicSecretSpec",
	genv1alpha1.SSHKeyKind:                "sshKeySpec",
	genv1alpha1.MFAKind:                   "mfaSpec",
	genv1alpha1.WebhookKind:               "webhookSpec",
	genv1alpha1.GithubAccessTokenKind:     "githubAccessTokenSpec",
	genv1alpha1.GitlabDeployTokenKind:     "gitlabDeployTokenSpec",
	genv1alpha1.QuayAccessTokenKind:       "quayAccessTokenSpec",
	genv1alpha1.GrafanaKind:               "grafanaSpec",
	genv1alpha1.CloudsmithAccessTokenKind: "cloudsmithAccessTokenSpec",
	genv1alpha1.ACRAccessTokenKind:        "acrAccessTokenSpec",
	genv1alpha1.GCRAccessTokenKind:        "gcrAccessTokenSpec",

	genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind: "beyondtrustWorkloadCredentialsDynamicSecretSpec",
}

// ClusterGenerator returns every problem of a ClusterGenerator's spec as written: the
// union must hold exactly the field of spec.kind, and that spec must be valid. Kinds
// Ferry does not generate are left to the API server's schema: they are never refused.
func ClusterGenerator(spec *genv1alpha1.ClusterGeneratorSpec) error {
	key, served := generatorSpecKeys[spec.Kind]
	if !served {
		return nil
	}
	if set := setUnionKeys(&spec.Generator); len(set) != 1 || set[0] != key {
		return fmt.Errorf("spec.generator: kind %s needs spec.generator.%s and no other field, found [%s]",
			spec.Kind, key, strings.Join(set, ", "))
	}
	return Generator(spec.Kind, &spec.Generator, "spec.generator."+key)
}

// setUnionKeys lists the fields of a ClusterGenerator's union that are set, sorted.
func setUnionKeys(g *genv1alpha1.GeneratorSpec) []string {
	var set []string
	for key, isSet := range map[string]bool{
		"acrAccessTokenSpec":                              g.ACRAccessTokenSpec != nil,
		"beyondtrustWorkloadCredentialsDynamicSecretSpec": g.BeyondtrustWorkloadCredentialsDynamicSecretSpec != nil,
		"cloudsmithAccessTokenSpec":                       g.CloudsmithAccessTokenSpec != nil,
		"ecrAuthorizationTokenSpec":                       g.ECRAuthorizationTokenSpec != nil,
		"fakeSpec":                                        g.FakeSpec != nil,
		"gcrAccessTokenSpec":                              g.GCRAccessTokenSpec != nil,
		"githubAccessTokenSpec":                           g.GithubAccessTokenSpec != nil,
		"gitlabDeployTokenSpec":                           g.GitlabDeployTokenSpec != nil,
		"grafanaSpec":                                     g.GrafanaSpec != nil,
		"mfaSpec":                                         g.MFASpec != nil,
		"passwordSpec":                                    g.PasswordSpec != nil,
		"quayAccessTokenSpec":                             g.QuayAccessTokenSpec != nil,
		"sshKeySpec":                                      g.SSHKeySpec != nil,
		"stsSessionTokenSpec":                             g.STSSessionTokenSpec != nil,
		"uuidSpec":                                        g.UUIDSpec != nil,
		"vaultDynamicSecretSpec":                          g.VaultDynamicSecretSpec != nil,
		"webhookSpec":                                     g.WebhookSpec != nil,
	} {
		if isSet {
			set = append(set, key)
		}
	}
	slices.Sort(set)
	return set
}

// Generator returns every problem of a generator spec as written, joined, or nil. kind
// is the generator kind and spec the union holding its field; field is where that
// kind's spec sits in the object ("spec", or "spec.generator.passwordSpec" in a
// ClusterGenerator), for the messages.
func Generator(kind string, spec *genv1alpha1.GeneratorSpec, field string) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch kind {
	case genv1alpha1.PasswordKind:
		if spec.PasswordSpec == nil {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
		errs = password(spec.PasswordSpec, field)
	case genv1alpha1.ECRAuthorizationTokenKind:
		s := spec.ECRAuthorizationTokenSpec
		if s == nil {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
		if s.Region == "" {
			add("%s.region: required", field)
		}
		if s.Scope != "" && s.Scope != "private" && s.Scope != "public" {
			add("%s.scope: must be private or public, not %q", field, s.Scope)
		}
	case genv1alpha1.STSSessionTokenKind:
		s := spec.STSSessionTokenSpec
		if s == nil {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
		if s.Region == "" {
			add("%s.region: required", field)
		}
		if p := s.RequestParameters; p != nil {
			if d := p.SessionDuration; d != nil && (*d < 900 || *d > 129600) {
				add("%s.requestParameters.sessionDuration: STS accepts 900 to 129600 seconds, not %d", field, *d)
			}
			if p.TokenCode != nil && *p.TokenCode != "" && (p.SerialNumber == nil || *p.SerialNumber == "") {
				add("%s.requestParameters.tokenCode: needs serialNumber, the MFA device the code comes from", field)
			}
		}
	case genv1alpha1.VaultDynamicSecretKind:
		s := spec.VaultDynamicSecretSpec
		if s == nil {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
		errs = vaultDynamicSecret(s, field)
	case genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind:
		s := spec.BeyondtrustWorkloadCredentialsDynamicSecretSpec
		if s == nil {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
		errs = beyondtrustDynamicSecret(s, field)
	default:
		if registryErrs, ok := registryTokenSpec(kind, spec, field); ok {
			return errors.Join(registryErrs...)
		}
		// The other kinds that call a service check the rest of their spec when they run.
		if key, ok := generatorSpecKeys[kind]; ok && !slices.Contains(setUnionKeys(spec), key) {
			return fmt.Errorf("%s: required for kind %s", field, kind)
		}
	}
	return errors.Join(errs...)
}

// PasswordCounts returns how many digits, symbols and letters one password of spec has,
// with External Secrets Operator's defaults: a quarter of the length each for digits and
// symbols, letters for the rest.
func PasswordCounts(spec *genv1alpha1.PasswordSpec) (digits, symbols, letters int) {
	digits, symbols = spec.Length/4, spec.Length/4
	if spec.Digits != nil {
		digits = *spec.Digits
	}
	if spec.Symbols != nil {
		symbols = *spec.Symbols
	}
	return digits, symbols, spec.Length - digits - symbols
}

// PasswordSymbols returns the distinct symbols spec draws from, in their first order.
func PasswordSymbols(spec *genv1alpha1.PasswordSpec) []rune {
	chars := genv1alpha1.DefaultSymbolCharacters
	if spec.SymbolCharacters != nil {
		chars = *spec.SymbolCharacters
	}
	seen := map[rune]bool{}
	var out []rune
	for _, r := range chars {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// Sizes of the alphabets a password draws from.
const (
	passwordDigits      = 10
	passwordLowerLetter = 26
)

func password(spec *genv1alpha1.PasswordSpec, field string) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if spec.Length < 1 {
		add("%s.length: must be at least 1, not %d", field, spec.Length)
	}
	if spec.Digits != nil && *spec.Digits < 0 {
		add("%s.digits: must not be negative", field)
	}
	if spec.Symbols != nil && *spec.Symbols < 0 {
		add("%s.symbols: must not be negative", field)
	}
	digits, symbols, letters := PasswordCounts(spec)
	if digits >= 0 && symbols >= 0 && letters < 0 {
		add("%s.length: %d is shorter than digits (%d) plus symbols (%d)", field, spec.Length, digits, symbols)
	}
	symbolSet := PasswordSymbols(spec)
	if symbols > 0 && len(symbolSet) == 0 {
		add("%s.symbolCharacters: empty, but symbols asks for %d", field, symbols)
	}
	if !spec.AllowRepeat {
		letterSet := 2 * passwordLowerLetter
		if spec.NoUpper {
			letterSet = passwordLowerLetter
		}
		if digits > passwordDigits {
			add("%s.digits: %d distinct digits do not exist; lower digits or set allowRepeat", field, digits)
		}
		if len(symbolSet) > 0 && symbols > len(symbolSet) {
			add("%s.symbols: symbolCharacters holds only %d distinct symbols, not %d; lower symbols or set allowRepeat",
				field, len(symbolSet), symbols)
		}
		if letters > letterSet {
			add("%s.length: %d letters are needed but only %d distinct letters exist; shorten it, add digits or symbols, or set allowRepeat",
				field, letters, letterSet)
		}
	}
	if e := spec.Encoding; e != nil {
		switch *e {
		case "raw", "base64", "base64url", "base32", "hex":
		default:
			add("%s.encoding: must be raw, base64, base64url, base32 or hex, not %q", field, *e)
		}
	}
	seen := map[string]int{}
	for i, key := range spec.SecretKeys {
		switch {
		case key == "":
			add("%s.secretKeys[%d]: must not be empty", field, i)
		case !validSecretKey(key):
			add("%s.secretKeys[%d]: %q is not a valid Secret key: use letters, digits, '-', '_' and '.'", field, i, key)
		}
		if j, dup := seen[key]; dup {
			add("%s.secretKeys[%d]: %q is also secretKeys[%d]: each key may appear once", field, i, key, j)
		}
		seen[key] = i
	}
	return errs
}

func validSecretKey(key string) bool {
	if len(key) > 253 || !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		alphanumeric := r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !alphanumeric && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// vaultMethods are the HTTP methods a VaultDynamicSecret may use; LIST is Vault's own.
var vaultMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "LIST"}

func vaultDynamicSecret(spec *genv1alpha1.VaultDynamicSecretSpec, field string) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.Trim(spec.Path, "/") == "" {
		add("%s.path: required", field)
	}
	if m := strings.ToUpper(spec.Method); m != "" && !slices.Contains(vaultMethods, m) {
		add("%s.method: must be one of %s, not %q", field, strings.Join(vaultMethods, ", "), spec.Method)
	}
	switch spec.ResultType {
	case "", genv1alpha1.VaultResultData, genv1alpha1.VaultResultAuth, genv1alpha1.VaultResultRaw:
	default:
		add("%s.resultType: must be Data, Auth or Raw, not %q", field, spec.ResultType)
	}
	if spec.Provider == nil {
		add("%s.provider: required", field)
	} else if spec.Provider.Server == "" {
		add("%s.provider.server: required", field)
	}
	if rs := spec.RetrySettings; rs != nil {
		if rs.MaxRetries != nil && *rs.MaxRetries < 0 {
			add("%s.retrySettings.maxRetries: must not be negative", field)
		}
		if rs.RetryInterval != nil {
			if _, err := time.ParseDuration(*rs.RetryInterval); err != nil {
				add("%s.retrySettings.retryInterval: invalid duration %q: use a Go duration such as 10s", field, *rs.RetryInterval)
			}
		}
	}
	return errs
}
