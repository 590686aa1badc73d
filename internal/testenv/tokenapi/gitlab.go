package tokenapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// GitLabDeployToken is one live deploy token.
type GitLabDeployToken struct {
	ID                    int
	Owner                 string // "projects/<id>" or "groups/<id>"
	Name, Username, Token string
	Scopes                []string
	ExpiresAt             string
}

// GitLab serves GitLab's deploy-token endpoints of REST API v4 for projects and groups:
// create (POST .../deploy_tokens) and revoke (DELETE .../deploy_tokens/{id}), authenticated
// with the PRIVATE-TOKEN header.
type GitLab struct {
	URL string

	server *httptest.Server
	token  string
	owners map[string]bool
	mu     sync.Mutex
	nextID int
	tokens map[int]*GitLabDeployToken
}

// gitlabScopes are the scopes GitLab accepts for deploy tokens.
var gitlabScopes = map[string]bool{"read_repository": true, "read_registry": true, "write_registry": true,
	"read_package_registry": true, "write_package_registry": true, "read_virtual_registry": true, "write_virtual_registry": true}

// NewGitLab starts a server that accepts privateToken and knows the given projects and
// groups, each written "projects/<id>" or "groups/<id>".
func NewGitLab(privateToken string, owners ...string) *GitLab {
	g := &GitLab{token: privateToken, owners: map[string]bool{}, tokens: map[int]*GitLabDeployToken{}}
	for _, o := range owners {
		g.owners[o] = true
	}
	mux := http.NewServeMux()
	for _, kind := range []string{"projects", "groups"} {
		mux.HandleFunc("POST /api/v4/"+kind+"/{id}/deploy_tokens", g.auth(kind, g.create))
		mux.HandleFunc("DELETE /api/v4/"+kind+"/{id}/deploy_tokens/{tokenId}", g.auth(kind, g.revoke))
	}
	g.server = httptest.NewServer(mux)
	g.URL = g.server.URL
	return g
}

// Close stops the server.
func (g *GitLab) Close() { g.server.Close() }

// Tokens returns the live deploy tokens, by ID.
func (g *GitLab) Tokens() map[int]GitLabDeployToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int]GitLabDeployToken{}
	for id, t := range g.tokens {
		out[id] = *t
	}
	return out
}

func (g *GitLab) auth(kind string, next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != g.token {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
			return
		}
		owner := kind + "/" + r.PathValue("id")
		if !g.owners[owner] {
			noun := "Project"
			if kind == "groups" {
				noun = "Group"
			}
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 " + noun + " Not Found"})
			return
		}
		next(w, r, owner)
	}
}

func (g *GitLab) create(w http.ResponseWriter, r *http.Request, owner string) {
	var form struct {
		Name      string   `json:"name"`
		Username  string   `json:"username"`
		Scopes    []string `json:"scopes"`
		ExpiresAt string   `json:"expires_at"`
	}
	if err := json.NewDecoder(r.Body).Decode(&form); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "400 Bad request"})
		return
	}
	switch {
	case form.Name == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name is missing"})
		return
	case len(form.Scopes) == 0:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "scopes is missing"})
		return
	}
	for _, s := range form.Scopes {
		if !gitlabScopes[s] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "scopes does not have a valid value"})
			return
		}
	}
	if form.ExpiresAt != "" {
		if _, err := time.Parse(time.RFC3339, form.ExpiresAt); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "expires_at is invalid"})
			return
		}
	}
	g.mu.Lock()
	g.nextID++
	t := &GitLabDeployToken{ID: g.nextID, Owner: owner, Name: form.Name, Username: form.Username,
		Token: "gldt-" + randomToken(20), Scopes: form.Scopes, ExpiresAt: form.ExpiresAt}
	if t.Username == "" {
		t.Username = "gitlab+deploy-token-" + strconv.Itoa(t.ID)
	}
	g.tokens[t.ID] = t
	g.mu.Unlock()
	var expires any
	if t.ExpiresAt != "" {
		expires = t.ExpiresAt
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "name": t.Name, "username": t.Username,
		"expires_at": expires, "token": t.Token, "scopes": t.Scopes, "revoked": false, "expired": false})
}

func (g *GitLab) revoke(w http.ResponseWriter, r *http.Request, owner string) {
	id, err := strconv.Atoi(r.PathValue("tokenId"))
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tokens[id]
	if err != nil || !ok || t.Owner != owner {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
		return
	}
	delete(g.tokens, id)
	w.WriteHeader(http.StatusNoContent)
}
