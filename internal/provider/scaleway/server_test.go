package scaleway

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testRegion    = "fr-par"
	testProject   = "11111111-2222-3333-4444-555555555555"
	testSecretKey = "22222222-aaaa-bbbb-cccc-333333333333"
	apiPrefix     = "/secret-manager/v1beta1/regions/"
)

// fakeScaleway is an in-process Scaleway Secret Manager API (v1beta1), written from
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
type fakeScaleway struct {
	srv *httptest.Server

	mu       sync.Mutex
	secrets  map[string]*fakeSecret // by id
	requests map[string]int         // "METHOD route" → count
	// fault, when set, answers a request instead of the API.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

type fakeSecret struct {
	ID, Name, Path string
	Tags           []string
	Versions       []fakeVersion // revision i+1 at index i
}

type fakeVersion struct {
	Data    []byte
	Enabled bool
}

func startScaleway(t *testing.T) *fakeScaleway {
	t.Helper()
	f := &fakeScaleway{secrets: map[string]*fakeSecret{}, requests: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// put writes data as a new enabled version of the secret name in folder, creating it with
// tags when missing; it returns the secret's id and the new revision.
func (f *fakeScaleway) put(folder, name string, data []byte, tags ...string) (id string, revision int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.byName(folder, name)
	if s == nil {
		s = &fakeSecret{ID: newID(), Name: name, Path: folder, Tags: tags}
		f.secrets[s.ID] = s
	}
	s.Versions = append(s.Versions, fakeVersion{Data: data, Enabled: true})
	return s.ID, len(s.Versions)
}

func (f *fakeScaleway) byName(folder, name string) *fakeSecret {
	for _, s := range f.secrets {
		if s.Name == name && s.Path == folder {
			return s
		}
	}
	return nil
}

// get returns the secret name in folder (a copy), or nil.
func (f *fakeScaleway) get(folder, name string) *fakeSecret {
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

func (f *fakeScaleway) remove(folder, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.byName(folder, name); s != nil {
		delete(f.secrets, s.ID)
	}
}

func (f *fakeScaleway) disable(id string, revision int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id].Versions[revision-1].Enabled = false
}

func (f *fakeScaleway) count(route string) int {
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

func notFound(w http.ResponseWriter, resource, id string) {
	fail(w, http.StatusNotFound, "not_found", "resource is not found", "resource", resource, "resource_id", id)
}

func (s *fakeSecret) json() map[string]any {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339)
	return map[string]any{"id": s.ID, "project_id": testProject, "name": s.Name, "status": "ready", "path": s.Path,
		"tags": tags, "version_count": len(s.Versions), "created_at": now, "updated_at": now, "type": "opaque",
		"protected": false, "managed": false, "region": testRegion}
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

func (f *fakeScaleway) serve(w http.ResponseWriter, r *http.Request) {
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
	if r.Header.Get("X-Auth-Token") != testSecretKey {
		fail(w, http.StatusUnauthorized, "denied_authentication", "authentication is denied", "method", "api_key", "reason", "invalid_argument")
		return
	}
	if !ok || region != testRegion || parts[0] != "secrets" {
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
			notFound(w, "secret", parts[1])
		}
	case len(parts) == 2 && r.Method == http.MethodDelete:
		if f.secrets[parts[1]] == nil {
			notFound(w, "secret", parts[1])
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

func (f *fakeScaleway) listSecrets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("project_id") != testProject {
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
	var match []*fakeSecret
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

func (f *fakeScaleway) createSecret(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ProjectID string   `json:"project_id"`
		Name      string   `json:"name"`
		Path      string   `json:"path"`
		Tags      []string `json:"tags"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ProjectID != testProject || in.Name == "" {
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
	s := &fakeSecret{ID: newID(), Name: in.Name, Path: in.Path, Tags: in.Tags}
	f.secrets[s.ID] = s
	writeJSON(w, http.StatusOK, s.json())
}

func (f *fakeScaleway) createVersion(w http.ResponseWriter, r *http.Request, id string) {
	s := f.secrets[id]
	if s == nil {
		notFound(w, "secret", id)
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
	s.Versions = append(s.Versions, fakeVersion{Data: in.Data, Enabled: true})
	writeJSON(w, http.StatusOK, map[string]any{"revision": len(s.Versions), "secret_id": id, "status": "enabled", "latest": true})
}

func (f *fakeScaleway) access(w http.ResponseWriter, id, rev string) {
	s := f.secrets[id]
	if s == nil {
		notFound(w, "secret", id)
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
		notFound(w, "secret_version", rev)
		return
	}
	if !s.Versions[n-1].Enabled {
		fail(w, http.StatusPreconditionFailed, "precondition_failed", "secret version is disabled")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"secret_id": id, "revision": n, "data": s.Versions[n-1].Data, "type": "opaque"})
}
