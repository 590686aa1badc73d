package bitwarden

import (
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	testOrg     = "11111111-2222-3333-4444-555555555555"
	testProject = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	otherProj   = "99999999-8888-7777-6666-555555555555"
	testToken   = "0.48c78342-1635-48a6-accd-afbe01336365.C0tMmQqHnAp1h0gL8bngprlPOYutt0:B3h5D+YgLvFiQhWkIq6Bow=="
)

// fakeSDKServer is an in-process bitwarden-sdk-server (the REST wrapper ESO deploys
// beside itself), written from that server's README and routes: everything below
// /rest/api/1, HTTPS only, arguments in a JSON body even for GET; GET /secret {id},
// GET /secrets {organizationId} (identifiers: id, organizationId, key), GET
// /secrets-by-ids {ids}, POST /secret and PUT /secret (key, value, note, organizationId,
// projectIds), DELETE /secret {ids} (data[].error per ID). The Warden-Access-Token header
// is mandatory (401 "Missing Warden access token" without it); a login the SDK refuses is
// 400 "failed to login to bitwarden using access token: ..."; every error of the SDK,
// a missing secret included, is 400 with a text/plain "failed to ...: <detail>" body.
// No Bitwarden service was reached; this stands in for the SDK server and Bitwarden.
type fakeSDKServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	secrets  []*fakeSecret
	requests map[string]int // "METHOD /path" → count
	headers  http.Header    // the Warden-* headers of the last request
	// fault, when set, answers a request instead of the server.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

type fakeSecret struct {
	ID, Key, Value, Note, Project string
}

func startSDKServer(t *testing.T) *fakeSDKServer {
	t.Helper()
	f := &fakeSDKServer{requests: map[string]int{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// caPEM is the PEM certificate that verifies the server.
func (f *fakeSDKServer) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}))
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// put adds a secret in project and returns its ID; Bitwarden allows several of one name.
func (f *fakeSDKServer) put(project, key, value, note string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeSecret{ID: newID(), Key: key, Value: value, Note: note, Project: project}
	f.secrets = append(f.secrets, s)
	return s.ID
}

// named returns copies of the secrets of key in project.
func (f *fakeSDKServer) named(project, key string) []fakeSecret {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeSecret
	for _, s := range f.secrets {
		if s.Key == key && s.Project == project {
			out = append(out, *s)
		}
	}
	return out
}

func (f *fakeSDKServer) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets = slices.DeleteFunc(f.secrets, func(s *fakeSecret) bool { return s.ID == id })
}

func (f *fakeSDKServer) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func (f *fakeSDKServer) byID(id string) *fakeSecret {
	for _, s := range f.secrets {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func (s *fakeSecret) json() map[string]any {
	return map[string]any{"id": s.ID, "organizationId": testOrg, "projectId": s.Project, "key": s.Key, "value": s.Value,
		"note": s.Note, "creationDate": "2026-01-02T03:04:05Z", "revisionDate": "2026-01-02T03:04:05Z"}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

const apiPath = "/rest/api/1"

func (f *fakeSDKServer) serve(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, apiPath)
	f.mu.Lock()
	f.requests[route]++
	f.headers = r.Header.Clone()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if !strings.HasPrefix(r.URL.Path, apiPath+"/") {
		http.NotFound(w, r)
		return
	}
	token := r.Header.Get("Warden-Access-Token")
	if token == "" {
		http.Error(w, "Missing Warden access token", http.StatusUnauthorized)
		return
	}
	if token != testToken {
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
		if in.OrganizationID != testOrg {
			http.Error(w, "failed to get secret: [404 Not Found] Resource not found.", http.StatusBadRequest)
			return
		}
		data := []map[string]any{}
		for _, s := range f.secrets {
			data = append(data, map[string]any{"id": s.ID, "organizationId": testOrg, "key": s.Key})
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
		if in.OrganizationID != testOrg || in.Key == "" || len(in.ProjectIDs) != 1 {
			http.Error(w, "failed to create secret: [400 Bad Request] The model state is invalid.", http.StatusBadRequest)
			return
		}
		s := &fakeSecret{ID: newID(), Key: in.Key, Value: in.Value, Note: in.Note, Project: in.ProjectIDs[0]}
		f.secrets = append(f.secrets, s)
		writeJSON(w, s.json())
	case "PUT /secret":
		s := f.byID(in.ID)
		if s == nil || in.OrganizationID != testOrg || len(in.ProjectIDs) != 1 {
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
			f.secrets = slices.DeleteFunc(f.secrets, func(s *fakeSecret) bool { return strings.EqualFold(s.ID, id) })
			data = append(data, entry)
		}
		writeJSON(w, map[string]any{"data": data})
	default:
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	}
}
