package tokenapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// GrafanaToken is one live service-account token.
type GrafanaToken struct {
	ID               int64
	ServiceAccountID int64
	Name, Key        string
	SecondsToLive    int64
}

type grafanaAccount struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Login       string `json:"login"`
	OrgID       int64  `json:"orgId"`
	IsDisabled  bool   `json:"isDisabled"`
	Role        string `json:"role"`
	TokensCount int    `json:"tokens"`
}

// Grafana serves the service-account endpoints of Grafana's HTTP API used to issue and
// revoke tokens: search, create account, create token, delete token. It accepts a
// Bearer token or Basic credentials of an administrator.
type Grafana struct {
	URL string

	server        *httptest.Server
	adminToken    string
	adminUser     string
	adminPassword string

	mu       sync.Mutex
	nextID   int64
	accounts []*grafanaAccount
	tokens   map[int64]*GrafanaToken
}

// NewGrafana starts a server whose administrator authenticates with adminToken (Bearer)
// or adminUser and adminPassword (Basic).
func NewGrafana(adminToken, adminUser, adminPassword string) *Grafana {
	g := &Grafana{adminToken: adminToken, adminUser: adminUser, adminPassword: adminPassword,
		tokens: map[int64]*GrafanaToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/serviceaccounts/search", g.auth(g.search))
	mux.HandleFunc("POST /api/serviceaccounts", g.auth(g.createAccount))
	mux.HandleFunc("POST /api/serviceaccounts/{id}/tokens", g.auth(g.createToken))
	mux.HandleFunc("DELETE /api/serviceaccounts/{id}/tokens/{tokenId}", g.auth(g.deleteToken))
	g.server = httptest.NewServer(mux)
	g.URL = g.server.URL
	return g
}

// Close stops the server.
func (g *Grafana) Close() { g.server.Close() }

// Tokens returns the live tokens, by ID.
func (g *Grafana) Tokens() map[int64]GrafanaToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[int64]GrafanaToken, len(g.tokens))
	for id, t := range g.tokens {
		out[id] = *t
	}
	return out
}

// Accounts returns the names of the service accounts.
func (g *Grafana) Accounts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var names []string
	for _, a := range g.accounts {
		names = append(names, a.Name)
	}
	return names
}

func grafanaError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}

func (g *Grafana) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(g.adminUser+":"+g.adminPassword))
		if header != "Bearer "+g.adminToken && (g.adminUser == "" || header != basic) {
			grafanaError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		next(w, r)
	}
}

func (g *Grafana) search(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query().Get("query")
	g.mu.Lock()
	found := []grafanaAccount{}
	for _, a := range g.accounts {
		if strings.Contains(strings.ToLower(a.Name), strings.ToLower(query)) {
			found = append(found, *a)
		}
	}
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"totalCount": len(found), "serviceAccounts": found, "page": 1, "perPage": 1000})
}

func (g *Grafana) createAccount(w http.ResponseWriter, r *http.Request) {
	var form struct {
		Name, Role string
		IsDisabled bool
	}
	if json.NewDecoder(r.Body).Decode(&form) != nil || form.Name == "" {
		grafanaError(w, http.StatusBadRequest, "Bad request data")
		return
	}
	switch form.Role {
	case "", "None", "Viewer", "Editor", "Admin":
	default:
		grafanaError(w, http.StatusBadRequest, "invalid role value: "+form.Role)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range g.accounts {
		if a.Name == form.Name {
			grafanaError(w, http.StatusBadRequest, "service account already exists")
			return
		}
	}
	g.nextID++
	role := form.Role
	if role == "" {
		role = "Viewer"
	}
	a := &grafanaAccount{ID: g.nextID, Name: form.Name, Login: "sa-1-" + strings.ToLower(strings.ReplaceAll(form.Name, " ", "-")),
		OrgID: 1, IsDisabled: form.IsDisabled, Role: role}
	g.accounts = append(g.accounts, a)
	writeJSON(w, http.StatusCreated, a)
}

func (g *Grafana) account(id string) *grafanaAccount {
	for _, a := range g.accounts {
		if strconv.FormatInt(a.ID, 10) == id {
			return a
		}
	}
	return nil
}

func (g *Grafana) createToken(w http.ResponseWriter, r *http.Request) {
	var form struct {
		Name          string `json:"name"`
		SecondsToLive int64  `json:"secondsToLive"`
	}
	if json.NewDecoder(r.Body).Decode(&form) != nil || form.Name == "" {
		grafanaError(w, http.StatusBadRequest, "Bad request data")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.account(r.PathValue("id"))
	if a == nil {
		grafanaError(w, http.StatusNotFound, "service account not found")
		return
	}
	for _, t := range g.tokens {
		if t.ServiceAccountID == a.ID && t.Name == form.Name {
			grafanaError(w, http.StatusConflict, "service account token with given name already exists in the organization")
			return
		}
	}
	g.nextID++
	t := &GrafanaToken{ID: g.nextID, ServiceAccountID: a.ID, Name: form.Name, Key: "glsa_" + randomToken(32) + "_" + randomToken(8),
		SecondsToLive: form.SecondsToLive}
	g.tokens[t.ID] = t
	a.TokensCount++
	writeJSON(w, http.StatusOK, map[string]any{"id": t.ID, "name": t.Name, "key": t.Key})
}

func (g *Grafana) deleteToken(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.account(r.PathValue("id"))
	tokenID, err := strconv.ParseInt(r.PathValue("tokenId"), 10, 64)
	t, ok := g.tokens[tokenID]
	if a == nil || err != nil || !ok || t.ServiceAccountID != a.ID {
		grafanaError(w, http.StatusNotFound, "service account token not found")
		return
	}
	delete(g.tokens, tokenID)
	a.TokensCount--
	writeJSON(w, http.StatusOK, map[string]string{"message": "Service account token deleted"})
}

// Issue creates a service account (or reuses the one of that name) and a token for it,
// as another client would, and returns the account's and token's IDs and the token key.
func (g *Grafana) Issue(account, role string) ([2]int64, string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var a *grafanaAccount
	for _, existing := range g.accounts {
		if existing.Name == account {
			a = existing
		}
	}
	if a == nil {
		g.nextID++
		a = &grafanaAccount{ID: g.nextID, Name: account, Login: "sa-1-" + account, OrgID: 1, Role: role}
		g.accounts = append(g.accounts, a)
	}
	g.nextID++
	t := &GrafanaToken{ID: g.nextID, ServiceAccountID: a.ID, Name: "issued-" + randomToken(8), Key: "glsa_" + randomToken(32)}
	g.tokens[t.ID] = t
	a.TokensCount++
	return [2]int64{a.ID, t.ID}, t.Key, nil
}
