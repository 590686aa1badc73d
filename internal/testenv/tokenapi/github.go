package tokenapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// GitHubTokenRequest is what one successful access-token request asked for.
type GitHubTokenRequest struct {
	Token        string
	Repositories []string
	Permissions  map[string]string
}

// GitHub serves POST /app/installations/{installation_id}/access_tokens for one App.
type GitHub struct {
	URL string

	server    *httptest.Server
	appID     string
	installID string
	key       *rsa.PublicKey
	repos     map[string]bool

	mu     sync.Mutex
	issued []GitHubTokenRequest
}

// NewGitHub starts a server for the App appID, installed as installID on the given
// repositories, whose JWTs verify with key.
func NewGitHub(appID, installID string, key *rsa.PublicKey, repositories ...string) *GitHub {
	g := &GitHub{appID: appID, installID: installID, key: key, repos: map[string]bool{}}
	for _, r := range repositories {
		g.repos[r] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", g.accessToken)
	g.server = httptest.NewServer(mux)
	g.URL = g.server.URL
	return g
}

// Close stops the server.
func (g *GitHub) Close() { g.server.Close() }

// Issued returns the successful requests, oldest first.
func (g *GitHub) Issued() []GitHubTokenRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GitHubTokenRequest(nil), g.issued...)
}

func githubError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message,
		"documentation_url": "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"})
}

func (g *GitHub) accessToken(w http.ResponseWriter, r *http.Request) {
	if msg := g.checkJWT(r.Header.Get("Authorization")); msg != "" {
		githubError(w, http.StatusUnauthorized, msg)
		return
	}
	if r.PathValue("id") != g.installID {
		githubError(w, http.StatusNotFound, "Not Found")
		return
	}
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			githubError(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	for _, repo := range body.Repositories {
		if !g.repos[repo] {
			githubError(w, http.StatusUnprocessableEntity,
				"There is at least one repository that does not exist or is not accessible to the parent installation.")
			return
		}
	}
	for name, level := range body.Permissions {
		if level != "read" && level != "write" && level != "admin" {
			githubError(w, http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation: "+name)
			return
		}
	}
	token := "ghs_" + randomToken(36)
	g.mu.Lock()
	g.issued = append(g.issued, GitHubTokenRequest{Token: token, Repositories: body.Repositories, Permissions: body.Permissions})
	g.mu.Unlock()
	selection := "all"
	if len(body.Repositories) > 0 {
		selection = "selected"
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token": token, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions": body.Permissions, "repository_selection": selection,
	})
}

// checkJWT checks an App JWT as GitHub documents it: RS256, signed by the App's key, iss
// the App ID, iat not in the future (a minute of drift allowed), exp in the future and
// at most ten minutes away. It returns GitHub's message for the first problem, or "".
func (g *GitHub) checkJWT(authorization string) string {
	const undecodable = "A JSON web token could not be decoded"
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	parts := strings.Split(raw, ".")
	if !ok || len(parts) != 3 {
		return undecodable
	}
	var header struct{ Alg string }
	var claims struct {
		Iat, Exp int64
		Iss      any
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil || header.Alg != "RS256" {
		return undecodable
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(g.key, crypto.SHA256, digest[:], signature) != nil {
		return "A JSON web token could not be decoded"
	}
	now := time.Now().Unix()
	switch {
	case claims.Iss != g.appID:
		return "'Issuer' claim ('iss') must be an Integer"
	case claims.Iat > now+60:
		return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	case claims.Exp <= now || claims.Exp > now+600:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

func decodeSegment(segment string, into any) error {
	raw, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}
