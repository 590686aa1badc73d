package scalewayfake

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// The region, project and API secret key the stand-in knows.
const (
	Region    = "fr-par"
	Project   = "11111111-2222-3333-4444-555555555555"
	SecretKey = "22222222-aaaa-bbbb-cccc-333333333333"
	apiPrefix = "/secret-manager/v1beta1/regions/"
)

// Start serves a stand-in with no secrets on a free loopback port; Close stops it.
func Start() (*Server, error) {
	f := &Server{secrets: map[string]*Secret{}, requests: map[string]int{}}
	srv, err := fakehttp.Start(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// SetFault lets fault answer a request first; it returns true when it has.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Server is an in-process Scaleway Secret Manager API (v1beta1), written from
// Scaleway's public API reference: the X-Auth-Token header, regions in the path,
// ListSecrets with project_id, name, path and tags filters and page / page_size /
// total_count pagination, CreateSecret, GetSecret, DeleteSecret, CreateSecretVersion
// (base64 data, disable_previous) and AccessSecretVersion by revision number, "latest" or
// "latest_enabled", and {"message", "type"} error bodies. No Scaleway emulator exists; it
// stands in for the real service, which no test reached.
//
// The reference does not say whether the name filter is exact nor how several tags
// combine; the fake takes the looser reading (a name containing the filter, any of the
// tags), so the client's own exact matching is exercised.
type Server struct {
	*fakehttp.Server

	mu       sync.Mutex
	secrets  map[string]*Secret // by id
	requests map[string]int     // "METHOD route" → count
	// fault, when set, answers a request instead of the API.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

// Secret is a stored secret and its versions.
type Secret struct {
	ID, Name, Path string
	Tags           []string
	Versions       []Version // revision i+1 at index i
}

// Version is one revision of a secret.
type Version struct {
	Data    []byte
	Enabled bool
}

// NewID is a random id in the form of Scaleway's.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Put writes data as a new enabled version of the secret name in folder, creating it with
// tags when missing; it returns the secret's id and the new revision.
func (f *Server) Put(folder, name string, data []byte, tags ...string) (id string, revision int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.byName(folder, name)
	if s == nil {
		s = &Secret{ID: NewID(), Name: name, Path: folder, Tags: tags}
		f.secrets[s.ID] = s
	}
	s.Versions = append(s.Versions, Version{Data: data, Enabled: true})
	return s.ID, len(s.Versions)
}

func (f *Server) byName(folder, name string) *Secret {
	for _, s := range f.secrets {
		if s.Name == name && s.Path == folder {
			return s
		}
	}
	return nil
}

// Get returns the secret name in folder (a copy), or nil.
func (f *Server) Get(folder, name string) *Secret {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.byName(folder, name)
	if s == nil {
		return nil
	}
	c := *s
	c.Versions = slices.Clone(s.Versions)
	return &c
}

// Remove deletes the secret name in folder.
func (f *Server) Remove(folder, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.byName(folder, name); s != nil {
		delete(f.secrets, s.ID)
	}
}

// Disable disables revision of the secret id.
func (f *Server) Disable(id string, revision int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id].Versions[revision-1].Enabled = false
}

// Count is the number of requests so far of route, "METHOD secrets/*/versions" with ids
// and revisions as "*".
func (f *Server) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers with Scaleway's error body.
func fail(w http.ResponseWriter, status int, typ, msg string, extra ...string) {
	body := map[string]any{"message": msg, "type": typ}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	writeJSON(w, status, body)
}

// NotFound answers with Scaleway's 404 body for resource id.
func NotFound(w http.ResponseWriter, resource, id string) {
	fail(w, http.StatusNotFound, "not_found", "resource is not found", "resource", resource, "resource_id", id)
}

func (s *Secret) json() map[string]any {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339)
	return map[string]any{"id": s.ID, "project_id": Project, "name": s.Name, "status": "ready", "path": s.Path,
		"tags": tags, "version_count": len(s.Versions), "created_at": now, "updated_at": now, "type": "opaque",
		"protected": false, "managed": false, "region": Region}
}

// route names a request by its pattern, for counting.
func route(method string, parts []string) string {
	p := make([]string, len(parts))
	for i, s := range parts {
		p[i] = s
		if i%2 == 1 { // ids and revisions
			p[i] = "*"
		}
	}
	return method + " " + strings.Join(p, "/")
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	region, rest, _ := strings.Cut(rest, "/")
	parts := strings.Split(rest, "/")
	f.mu.Lock()
	f.requests[route(r.Method, parts)]++
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.Header.Get("X-Auth-Token") != SecretKey {
		fail(w, http.StatusUnauthorized, "denied_authentication", "authentication is denied", "method", "api_key", "reason", "invalid_argument")
		return
	}
	if !ok || region != Region || parts[0] != "secrets" {
		fail(w, http.StatusNotFound, "not_found", "resource is not found")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		f.listSecrets(w, r)
	case len(parts) == 1 && r.Method == http.MethodPost:
		f.createSecret(w, r)
	case len(parts) == 2 && r.Method == http.MethodGet:
		if s := f.secrets[parts[1]]; s != nil {
			writeJSON(w, http.StatusOK, s.json())
		} else {
			NotFound(w, "secret", parts[1])
		}
	case len(parts) == 2 && r.Method == http.MethodDelete:
		if f.secrets[parts[1]] == nil {
			NotFound(w, "secret", parts[1])
			return
		}
		delete(f.secrets, parts[1])
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 3 && parts[2] == "versions" && r.Method == http.MethodPost:
		f.createVersion(w, r, parts[1])
	case len(parts) == 5 && parts[2] == "versions" && parts[4] == "access" && r.Method == http.MethodGet:
		f.access(w, parts[1], parts[3])
	default:
		fail(w, http.StatusNotFound, "not_found", "resource is not found")
	}
}

func (f *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("project_id") != Project {
		fail(w, http.StatusBadRequest, "invalid_arguments", "invalid argument(s)")
		return
	}
	page, size := 1, 20
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v := q.Get("page_size"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	if page < 1 || size < 1 || size > 100 {
		fail(w, http.StatusBadRequest, "invalid_arguments", "invalid argument(s)")
		return
	}
	var match []*Secret
	for _, s := range f.secrets {
		if n := q.Get("name"); n != "" && !strings.Contains(s.Name, n) {
			continue
		}
		if p := q.Get("path"); p != "" && s.Path != p {
			continue
		}
		if tags := q["tags"]; len(tags) > 0 && !slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(s.Tags, t) }) {
			continue
		}
		match = append(match, s)
	}
	sort.Slice(match, func(i, j int) bool { // order_by name_asc
		if match[i].Name != match[j].Name {
			return match[i].Name < match[j].Name
		}
		return match[i].ID < match[j].ID
	})
	out := []map[string]any{}
	for i := (page - 1) * size; i < len(match) && i < page*size; i++ {
		out = append(out, match[i].json())
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": out, "total_count": len(match)})
}

func (f *Server) createSecret(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProjectID string   `json:"project_id"`
		Name      string   `json:"name"`
		Path      string   `json:"path"`
		Tags      []string `json:"tags"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ProjectID != Project || in.Name == "" {
		fail(w, http.StatusBadRequest, "invalid_arguments", "invalid argument(s)")
		return
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if f.byName(in.Path, in.Name) != nil {
		fail(w, http.StatusConflict, "conflict", "cannot create secret: a secret with this name already exists in this path")
		return
	}
	s := &Secret{ID: NewID(), Name: in.Name, Path: in.Path, Tags: in.Tags}
	f.secrets[s.ID] = s
	writeJSON(w, http.StatusOK, s.json())
}

func (f *Server) createVersion(w http.ResponseWriter, r *http.Request, id string) {
	s := f.secrets[id]
	if s == nil {
		NotFound(w, "secret", id)
		return
	}
	var in struct {
		Data            []byte `json:"data"` // base64 in JSON
		DisablePrevious bool   `json:"disable_previous"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Data == nil {
		fail(w, http.StatusBadRequest, "invalid_arguments", "invalid argument(s)")
		return
	}
	if in.DisablePrevious && len(s.Versions) > 0 {
		s.Versions[len(s.Versions)-1].Enabled = false
	}
	s.Versions = append(s.Versions, Version{Data: in.Data, Enabled: true})
	writeJSON(w, http.StatusOK, map[string]any{"revision": len(s.Versions), "secret_id": id, "status": "enabled", "latest": true})
}

func (f *Server) access(w http.ResponseWriter, id, rev string) {
	s := f.secrets[id]
	if s == nil {
		NotFound(w, "secret", id)
		return
	}
	n := 0
	switch rev {
	case "latest":
		n = len(s.Versions)
	case "latest_enabled":
		for i := len(s.Versions); i > 0; i-- {
			if s.Versions[i-1].Enabled {
				n = i
				break
			}
		}
	default:
		var err error
		if n, err = strconv.Atoi(rev); err != nil {
			fail(w, http.StatusBadRequest, "invalid_arguments", "invalid argument(s)")
			return
		}
	}
	if n < 1 || n > len(s.Versions) {
		NotFound(w, "secret_version", rev)
		return
	}
	if !s.Versions[n-1].Enabled {
		fail(w, http.StatusPreconditionFailed, "precondition_failed", "secret version is disabled")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"secret_id": id, "revision": n, "data": s.Versions[n-1].Data, "type": "opaque"})
}
