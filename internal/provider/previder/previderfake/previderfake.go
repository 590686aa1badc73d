package previderfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Access tokens the server accepts.
const (
	ReadWriteToken = "rw-token"
	ReadOnlyToken  = "ro-token"
)

// Server is a running stand-in. Its secrets are empty until Put.
type Server struct {
	*fakehttp.Server

	mu      sync.Mutex
	secrets map[string]string
	// tokens maps an access token to its type: ReadOnly or ReadWrite.
	tokens map[string]string
	calls  int
}

// Start serves a stand-in on a free loopback port; Close stops it.
func Start() (*Server, error) {
	f := &Server{secrets: map[string]string{}, tokens: map[string]string{ReadWriteToken: "ReadWrite", ReadOnlyToken: "ReadOnly"}}
	srv, err := fakehttp.Start(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// Put creates or replaces the secret name.
func (f *Server) Put(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[name] = value
}

// Remove deletes the secret name.
func (f *Server) Remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, name)
}

// Calls is the number of requests served so far.
func (f *Server) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
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
