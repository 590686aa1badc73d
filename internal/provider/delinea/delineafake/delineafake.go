package delineafake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Server is a running stand-in tenant. It accepts the client credentials ClientID and
// ClientSecret; its secrets are empty until Put.
type Server struct {
	*fakehttp.Server
	Tenant, TLD  string
	ClientID     string
	ClientSecret string

	mu      sync.Mutex
	secrets map[string]fakeSecret
	tokens  map[string]time.Time
	logins  int
	reads   int
	// expiresIn is the token life the token endpoint announces, in seconds.
	expiresIn int
}

type fakeSecret struct {
	data, attributes map[string]any
	version          int
}

// Start serves a stand-in tenant "acme"/"com" on a free loopback port; Close stops it.
func Start() (*Server, error) {
	f := &Server{Tenant: "acme", TLD: "com", ClientID: "client-1", ClientSecret: "client-secret-1",
		secrets: map[string]fakeSecret{}, tokens: map[string]time.Time{}, expiresIn: 3600}
	srv, err := fakehttp.Start(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// URLTemplate is the store's urlTemplate that points at this server.
func (f *Server) URLTemplate() string { return f.URL + "/%s/%s/v1/%s%s" }

// Logins counts the tokens issued.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// DropTokens forgets every token issued, as a tenant that revoked them.
func (f *Server) DropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

// Put creates the secret at path, or a new version of it.
func (f *Server) Put(path string, data, attributes map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.secrets[path]
	f.secrets[path] = fakeSecret{data: data, attributes: attributes, version: s.version + 1}
}

// Remove deletes the secret at path.
func (f *Server) Remove(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, path)
}

func dsvError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/" + f.Tenant + "/" + f.TLD + "/v1/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		dsvError(w, http.StatusNotFound, "unknown tenant")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case rest == "token" && r.Method == http.MethodPost:
		f.token(w, r)
	case strings.HasPrefix(rest, "secrets/") && r.Method == http.MethodGet:
		if exp, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; !ok || time.Now().After(exp) {
			dsvError(w, http.StatusUnauthorized, "invalid or expired access token")
			return
		}
		f.reads++
		path := strings.TrimPrefix(rest, "secrets/")
		s, ok := f.secrets[path]
		if !ok {
			dsvError(w, http.StatusNotFound, "unable to find item with specified identifier")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "id-" + path, "path": path, "attributes": s.attributes,
			"description": "", "data": s.data, "created": "2026-01-01T00:00:00Z", "lastModified": "2026-01-01T00:00:00Z",
			"createdBy": "users:admin", "lastModifiedBy": "users:admin", "version": strconv.Itoa(s.version)})
	default:
		dsvError(w, http.StatusNotFound, "no route")
	}
}

func (f *Server) token(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
		dsvError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	if req["grant_type"] != "client_credentials" || req["client_id"] != f.ClientID || req["client_secret"] != f.ClientSecret {
		dsvError(w, http.StatusUnauthorized, "invalid client credentials")
		return
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	f.tokens[tok] = time.Now().Add(time.Duration(f.expiresIn) * time.Second)
	f.logins++
	_ = json.NewEncoder(w).Encode(map[string]any{"accessToken": tok, "tokenType": "bearer", "expiresIn": f.expiresIn, "refreshToken": "r"})
}
