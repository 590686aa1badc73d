package delinea

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDSV is an in-process Delinea DevOps Secrets Vault tenant: the token endpoint
// (client_credentials grant, JSON body) and secret reads by path with a bearer token, with
// DSV's JSON shapes and error bodies as its REST API describes them. No DSV runs on the
// build machine, so it stands in for the real service. It serves the URL template
// <server>/<tenant>/<tld>/v1/<resource><path>.
type fakeDSV struct {
	srv          *httptest.Server
	tenant, tld  string
	clientID     string
	clientSecret string

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

func startDSV(t *testing.T) *fakeDSV {
	t.Helper()
	f := &fakeDSV{tenant: "acme", tld: "com", clientID: "client-1", clientSecret: "client-secret-1",
		secrets: map[string]fakeSecret{}, tokens: map[string]time.Time{}, expiresIn: 3600}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDSV) template() string { return f.srv.URL + "/%s/%s/v1/%s%s" }

// Logins counts the tokens issued.
func (f *fakeDSV) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func (f *fakeDSV) put(path string, data, attributes map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.secrets[path]
	f.secrets[path] = fakeSecret{data: data, attributes: attributes, version: s.version + 1}
}

func (f *fakeDSV) remove(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, path)
}

func dsvError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
}

func (f *fakeDSV) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/" + f.tenant + "/" + f.tld + "/v1/"
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

func (f *fakeDSV) token(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
		dsvError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	if req["grant_type"] != "client_credentials" || req["client_id"] != f.clientID || req["client_secret"] != f.clientSecret {
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
