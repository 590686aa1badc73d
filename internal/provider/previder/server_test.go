package previder

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakePrevider is an in-process Previder Vault API: GET /secret (the listing a ReadWrite
// token may make) and GET /secret/{id or name}/decrypt, authenticated by the X-API-Key
// header, as Previder's vault-cli client speaks it. No Previder service is reachable from
// the build machine, so it stands in for it.
type fakePrevider struct {
	srv *httptest.Server

	mu      sync.Mutex
	secrets map[string]string
	// tokens maps an access token to its type: ReadOnly or ReadWrite.
	tokens map[string]string
	calls  int
}

func startPrevider(t *testing.T) *fakePrevider {
	t.Helper()
	f := &fakePrevider{secrets: map[string]string{}, tokens: map[string]string{"rw-token": "ReadWrite", "ro-token": "ReadOnly"}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePrevider) put(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[name] = value
}

func (f *fakePrevider) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, name)
}

func (f *fakePrevider) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	tokenType, ok := f.tokens[r.Header.Get("X-API-Key")]
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/secret":
		if tokenType != "ReadWrite" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		list := []map[string]string{}
		for name := range f.secrets {
			list = append(list, map[string]string{"id": "id-" + name, "description": name})
		}
		_ = json.NewEncoder(w).Encode(list)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/secret/") && strings.HasSuffix(r.URL.Path, "/decrypt"):
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/secret/"), "/decrypt")
		value, ok := f.secrets[name]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"secret not found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"secret": value})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
