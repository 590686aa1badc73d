package bitwardenfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// The organization and projects the server holds, and the machine account's access token it
// accepts in Warden-Access-Token.
const (
	Org          = "11111111-2222-3333-4444-555555555555"
	Project      = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	OtherProject = "99999999-8888-7777-6666-555555555555"
	Token        = "0.48c78342-1635-48a6-accd-afbe01336365.C0tMmQqHnAp1h0gL8bngprlPOYutt0:B3h5D+YgLvFiQhWkIq6Bow=="
)

// APIPath is the prefix of every route of the SDK server.
const APIPath = "/rest/api/1"

// Server is a running stand-in, over TLS with a certificate made at start (CertificatePEM
// is what a store's caBundle holds). Its secrets are empty until Put.
type Server struct {
	*fakehttp.Server

	mu       sync.Mutex
	secrets  []*Secret
	requests map[string]int // "METHOD /path" → count
	headers  http.Header    // the Warden-* headers of the last request
	// fault, when set, answers a request instead of the server.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

// Secret is one Bitwarden Secrets Manager secret.
type Secret struct {
	ID, Key, Value, Note, Project string
}

// Start serves a stand-in on a free loopback port; Close stops it.
func Start() (*Server, error) {
	f := &Server{requests: map[string]int{}}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// Header is the header name of the last request served.
func (f *Server) Header(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers.Get(name)
}

// SetFault has fault see every request first; a fault that returns true has answered it.
// nil removes it.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// NewID makes an ID of Bitwarden's shape, a random UUID.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Put adds a secret in project and returns its ID; Bitwarden allows several of one name.
func (f *Server) Put(project, key, value, note string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Secret{ID: NewID(), Key: key, Value: value, Note: note, Project: project}
	f.secrets = append(f.secrets, s)
	return s.ID
}

// Named returns copies of the secrets of key in project.
func (f *Server) Named(project, key string) []Secret {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Secret
	for _, s := range f.secrets {
		if s.Key == key && s.Project == project {
			out = append(out, *s)
		}
	}
	return out
}

// Remove deletes the secret id.
func (f *Server) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets = slices.DeleteFunc(f.secrets, func(s *Secret) bool { return s.ID == id })
}

// Count is the number of requests served on route, "METHOD /path" below APIPath.
func (f *Server) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func (f *Server) byID(id string) *Secret {
	for _, s := range f.secrets {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func (s *Secret) json() map[string]any {
	return map[string]any{"id": s.ID, "organizationId": Org, "projectId": s.Project, "key": s.Key, "value": s.Value,
		"note": s.Note, "creationDate": "2026-01-02T03:04:05Z", "revisionDate": "2026-01-02T03:04:05Z"}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, APIPath)
	f.mu.Lock()
	f.requests[route]++
	f.headers = r.Header.Clone()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if !strings.HasPrefix(r.URL.Path, APIPath+"/") {
		http.NotFound(w, r)
		return
	}
	token := r.Header.Get("Warden-Access-Token")
	if token == "" {
		http.Error(w, "Missing Warden access token", http.StatusUnauthorized)
		return
	}
	if token != Token {
		http.Error(w, "failed to login to bitwarden using access token: bitwarden login: [400 Bad Request] {\"error\":\"invalid_client\"}", http.StatusBadRequest)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var in struct { // the SDK's request types, decoded as Go decodes them (keys match case-insensitively)
		ID             string   `json:"id"`
		IDs            []string `json:"ids"`
		OrganizationID string   `json:"organizationId"`
		Key            string   `json:"key"`
		Value          string   `json:"value"`
		Note           string   `json:"note"`
		ProjectIDs     []string `json:"projectIds"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		http.Error(w, "invalid character in request body", http.StatusInternalServerError)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch route {
	case "GET /secret":
		if s := f.byID(in.ID); s != nil {
			writeJSON(w, s.json())
			return
		}
		http.Error(w, "failed to get secret: [404 Not Found] Resource not found.", http.StatusBadRequest)
	case "GET /secrets":
		if in.OrganizationID != Org {
			http.Error(w, "failed to get secret: [404 Not Found] Resource not found.", http.StatusBadRequest)
			return
		}
		data := []map[string]any{}
		for _, s := range f.secrets {
			data = append(data, map[string]any{"id": s.ID, "organizationId": Org, "key": s.Key})
		}
		writeJSON(w, map[string]any{"data": data})
	case "GET /secrets-by-ids":
		data := []map[string]any{}
		for _, id := range in.IDs {
			s := f.byID(id)
			if s == nil {
				http.Error(w, "failed to get secrets: [404 Not Found] Resource not found.", http.StatusBadRequest)
				return
			}
			data = append(data, s.json())
		}
		writeJSON(w, map[string]any{"data": data})
	case "POST /secret":
		if in.OrganizationID != Org || in.Key == "" || len(in.ProjectIDs) != 1 {
			http.Error(w, "failed to create secret: [400 Bad Request] The model state is invalid.", http.StatusBadRequest)
			return
		}
		s := &Secret{ID: NewID(), Key: in.Key, Value: in.Value, Note: in.Note, Project: in.ProjectIDs[0]}
		f.secrets = append(f.secrets, s)
		writeJSON(w, s.json())
	case "PUT /secret":
		s := f.byID(in.ID)
		if s == nil || in.OrganizationID != Org || len(in.ProjectIDs) != 1 {
			http.Error(w, "failed to update secret: [404 Not Found] Resource not found.", http.StatusBadRequest)
			return
		}
		s.Key, s.Value, s.Note, s.Project = in.Key, in.Value, in.Note, in.ProjectIDs[0]
		writeJSON(w, s.json())
	case "DELETE /secret":
		data := []map[string]any{}
		for _, id := range in.IDs {
			entry := map[string]any{"id": id}
			if f.byID(id) == nil {
				entry["error"] = "Secret not found"
			}
			f.secrets = slices.DeleteFunc(f.secrets, func(s *Secret) bool { return strings.EqualFold(s.ID, id) })
			data = append(data, entry)
		}
		writeJSON(w, map[string]any{"data": data})
	default:
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	}
}
