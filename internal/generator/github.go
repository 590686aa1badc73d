package generator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// githubAPI is GitHub.com's REST API; GitHub Enterprise Server's is https://HOST/api/v3.
const githubAPI = "https://api.github.com"

// GithubAccessToken generates installation access tokens of a GitHub App: a JWT signed with
// the App's private key (RS256, iss the App ID) is exchanged at
// POST /app/installations/{installID}/access_tokens, optionally narrowed to repositories
// and permissions. The key is token, as in External Secrets Operator. GitHub's tokens
// expire after an hour; keep refreshInterval below that.
type GithubAccessToken struct {
	api *apiClient
	now func() time.Time
}

// NewGithubAccessToken returns the generator.
func NewGithubAccessToken() *GithubAccessToken {
	return &GithubAccessToken{api: newAPIClient(), now: time.Now}
}

// Kind returns "GithubAccessToken".
func (*GithubAccessToken) Kind() string { return genv1alpha1.GithubAccessTokenKind }

// Generate signs an App JWT and asks GitHub for a new installation token.
func (g *GithubAccessToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.GithubAccessTokenSpec
	if s.AppID == "" || s.InstallID == "" || strings.ContainsAny(s.InstallID, "/?#") {
		return nil, invalid(errors.New("spec.appID and spec.installID: required, installID a plain ID"))
	}
	base, err := serviceURL(s.URL, githubAPI, "spec.url")
	if err != nil {
		return nil, err
	}
	pemKey, err := secretKey(ctx, kube, namespace, s.Auth.PrivateKey.SecretRef, "spec.auth.privateKey.secretRef")
	if err != nil {
		return nil, err
	}
	key, err := parseRSAPrivateKey(pemKey)
	if err != nil {
		return nil, invalid(fmt.Errorf("spec.auth.privateKey.secretRef: %w", err))
	}
	appJWT, err := githubAppJWT(key, s.AppID, g.now())
	if err != nil {
		return nil, err
	}
	body := map[string]any{}
	if len(s.Repositories) > 0 {
		body["repositories"] = s.Repositories
	}
	if len(s.Permissions) > 0 {
		body["permissions"] = s.Permissions
	}
	var answer struct {
		Token string `json:"token"`
	}
	err = g.api.do(ctx, apiRequest{
		method: http.MethodPost,
		url:    base + "/app/installations/" + url.PathEscape(s.InstallID) + "/access_tokens",
		header: http.Header{"Authorization": {"Bearer " + appJWT}, "Accept": {"application/vnd.github+json"},
			"X-Github-Api-Version": {"2022-11-28"}},
		body: body, ok: []int{http.StatusCreated, http.StatusOK}, out: &answer,
	})
	if err != nil {
		return nil, fmt.Errorf("GitHub installation token: %w", err)
	}
	if answer.Token == "" {
		return nil, errors.New("GitHub installation token: the answer holds no token")
	}
	return map[string][]byte{"token": []byte(answer.Token)}, nil
}

// githubAppJWT is the JWT that authenticates as the App: RS256, issued a minute in the
// past against clock drift, expiring nine minutes from now (GitHub's limit is ten).
func githubAppJWT(key *rsa.PrivateKey, appID string, now time.Time) (string, error) {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": appID,
	})
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the App JWT: %w", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(signature), nil
}

// parseRSAPrivateKey reads a PEM RSA private key, PKCS #1 (as GitHub hands them out) or
// PKCS #8. Errors say nothing of the key.
func parseRSAPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key (PKCS #1 or PKCS #8)")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return key, nil
}

// serviceURL returns the base URL of a service: spec, or def when unset, without a
// trailing slash. Only http and https URLs with a host are accepted.
func serviceURL(spec, def, field string) (string, error) {
	if spec == "" {
		return def, nil
	}
	u, err := url.Parse(spec)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", invalid(fmt.Errorf("%s: %q is not an http(s) URL", field, spec))
	}
	return strings.TrimRight(spec, "/"), nil
}
