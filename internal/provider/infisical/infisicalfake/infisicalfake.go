package infisicalfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// The one project and environment the stand-in serves.
const (
	ProjectSlug = "backend"
	ProjectID   = "6f1c2a9e-3b7d-4c55-9a0e-2f6c1d8b7e40"
	Env         = "prod"
)

// Start serves a stand-in over TLS on a free loopback port, with an empty root folder and
// no identity until AddIdentity; Close stops it.
func Start() (*Server, error) {
	f := &Server{folders: map[string]map[string][]string{"/": {}}, imports: map[string][]string{},
		identities: map[string]map[string]string{}, tokens: map[string]bool{}, requests: map[string]int{}}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// AddIdentity accepts logins of method ("universal-auth", "jwt-auth", "ldap-auth",
// "kubernetes-auth") whose body holds every field of fields.
func (f *Server) AddIdentity(method string, fields map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identities[method] = fields
}

// AddToken accepts token as a bearer token, as a service or static token.
func (f *Server) AddToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = true
}

// Import has folder import the secrets of imported.
func (f *Server) Import(folder string, imported ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imports[folder] = imported
}

// SetFault lets fault answer a request first; it returns true when it has.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Server is an in-process Infisical API, written from Infisical's public API
// reference: machine identity logins (universal, JWT, LDAP, Kubernetes) answering
// {accessToken, expiresIn, tokenType}, the v3 raw secrets endpoints (list with imports and
// recursion, read by name and version, create, update, delete), the project lookup by
// slug, and {"statusCode","message","error"} error bodies. No Infisical emulator runs
// here; it stands in for the real service.
type Server struct {
	*fakehttp.Server

	mu sync.Mutex
	// folders: folder path → name → versions (the last is current), of Env.
	folders map[string]map[string][]string
	// imports: folder → folders whose secrets it imports.
	imports map[string][]string
	// logins accepted: method → the body fields that must match.
	identities map[string]map[string]string
	tokens     map[string]bool
	logins     int
	requests   map[string]int
	fault      func(w http.ResponseWriter, r *http.Request) bool
}

// Put writes a new version of folder/name and returns its version number.
func (f *Server) Put(folder, name, value string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.folders[folder] == nil {
		f.folders[folder] = map[string][]string{}
	}
	f.folders[folder][name] = append(f.folders[folder][name], value)
	return strconv.Itoa(len(f.folders[folder][name]))
}

// Current is the current value of folder/name.
func (f *Server) Current(folder, name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.folders[folder][name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Remove deletes folder/name.
func (f *Server) Remove(folder, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.folders[folder], name)
}

// Count is the number of requests so far of key, "METHOD /path".
func (f *Server) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// Logins is the number of successful logins so far.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Fail answers with Infisical's error body.
func Fail(w http.ResponseWriter, status int, kind, msg string) {
	writeJSON(w, status, map[string]any{"reqId": "req-1", "statusCode": status, "message": msg, "error": kind})
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.Method+" "+r.URL.Path]++
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := strings.CutPrefix(r.URL.Path, "/api")
	if !ok {
		Fail(w, http.StatusNotFound, "NotFound", "Route not found")
		return
	}
	if method, ok := strings.CutSuffix(strings.TrimPrefix(p, "/v1/auth/"), "/login"); ok && r.Method == http.MethodPost {
		f.login(w, r, method)
		return
	}
	if !f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
		Fail(w, http.StatusUnauthorized, "UnauthorizedError", "Invalid token")
		return
	}
	switch {
	case p == "/v1/projects/slug/"+ProjectSlug && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"id": ProjectID, "slug": ProjectSlug, "name": "Backend"})
	case strings.HasPrefix(p, "/v1/projects/slug/"):
		Fail(w, http.StatusNotFound, "NotFound", "Project not found")
	case p == "/v3/secrets/raw" && r.Method == http.MethodGet:
		f.list(w, r)
	case strings.HasPrefix(p, "/v3/secrets/raw/"):
		f.secret(w, r, strings.TrimPrefix(p, "/v3/secrets/raw/"))
	default:
		Fail(w, http.StatusNotFound, "NotFound", "Route not found")
	}
}

func (f *Server) login(w http.ResponseWriter, r *http.Request, method string) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		Fail(w, http.StatusBadRequest, "BadRequest", "Invalid request body")
		return
	}
	want, ok := f.identities[method]
	if !ok {
		Fail(w, http.StatusUnauthorized, "UnauthorizedError", "Invalid credentials")
		return
	}
	for k, v := range want {
		if body[k] != v {
			Fail(w, http.StatusUnauthorized, "UnauthorizedError", "Invalid credentials")
			return
		}
	}
	f.logins++
	token := fmt.Sprintf("at-%s-%d", method, f.logins)
	f.tokens[token] = true
	writeJSON(w, http.StatusOK, map[string]any{"accessToken": token, "expiresIn": 7200, "accessTokenMaxTTL": 43200, "tokenType": "Bearer"})
}

// scoped checks the project and environment of a read and returns its folder.
func scoped(w http.ResponseWriter, q map[string]string) (string, bool) {
	if q["workspaceSlug"] != ProjectSlug && q["workspaceId"] != ProjectID {
		Fail(w, http.StatusNotFound, "NotFound", "Project not found")
		return "", false
	}
	if q["environment"] != Env {
		Fail(w, http.StatusNotFound, "NotFound", "Environment not found")
		return "", false
	}
	folder := q["secretPath"]
	if folder == "" {
		folder = "/"
	}
	return folder, true
}

func flat(v map[string][]string) map[string]string {
	out := map[string]string{}
	for k, vs := range v {
		out[k] = vs[0]
	}
	return out
}

func (f *Server) list(w http.ResponseWriter, r *http.Request) {
	q := flat(r.URL.Query())
	folder, ok := scoped(w, q)
	if !ok {
		return
	}
	secrets := []map[string]any{}
	for p, names := range f.folders {
		below := q["recursive"] == "true" && strings.HasPrefix(p, strings.TrimSuffix(folder, "/")+"/")
		if p != folder && !below {
			continue
		}
		for name, versions := range names {
			secrets = append(secrets, map[string]any{"id": name, "secretKey": name, "secretValue": versions[len(versions)-1],
				"secretPath": p, "version": len(versions), "type": "shared", "environment": Env, "workspace": ProjectID})
		}
	}
	imports := []map[string]any{}
	if q["include_imports"] == "true" {
		for _, from := range f.imports[folder] {
			imported := []map[string]any{}
			for name, versions := range f.folders[from] {
				imported = append(imported, map[string]any{"secretKey": name, "secretValue": versions[len(versions)-1], "secretPath": from})
			}
			imports = append(imports, map[string]any{"secretPath": from, "environment": Env, "secrets": imported})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": secrets, "imports": imports})
}

func (f *Server) secret(w http.ResponseWriter, r *http.Request, name string) {
	q := flat(r.URL.Query())
	if r.Method != http.MethodGet {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		for k, v := range body {
			if s, ok := v.(string); ok {
				q[k] = s
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if q["workspaceId"] != ProjectID {
			Fail(w, http.StatusBadRequest, "BadRequest", "workspaceId is required")
			return
		}
	}
	folder, ok := scoped(w, q)
	if !ok {
		return
	}
	folder = path.Clean(folder)
	versions := f.folders[folder][name]
	switch r.Method {
	case http.MethodGet:
		if len(versions) == 0 {
			Fail(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Secret with name '%s' not found", name))
			return
		}
		v := len(versions)
		if s := q["version"]; s != "" {
			if v, _ = strconv.Atoi(s); v < 1 || v > len(versions) {
				Fail(w, http.StatusNotFound, "NotFound", "Secret version not found")
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"secret": map[string]any{"secretKey": name, "secretValue": versions[v-1],
			"version": v, "type": "shared", "secretPath": folder}})
	case http.MethodPost:
		if len(versions) > 0 {
			Fail(w, http.StatusBadRequest, "BadRequest", "Secret already exist")
			return
		}
		if f.folders[folder] == nil {
			f.folders[folder] = map[string][]string{}
		}
		f.folders[folder][name] = []string{q["secretValue"]}
		writeJSON(w, http.StatusOK, map[string]any{"secret": map[string]any{"secretKey": name}})
	case http.MethodPatch:
		if len(versions) == 0 {
			Fail(w, http.StatusNotFound, "NotFound", "Secret not found")
			return
		}
		f.folders[folder][name] = append(versions, q["secretValue"])
		writeJSON(w, http.StatusOK, map[string]any{"secret": map[string]any{"secretKey": name}})
	case http.MethodDelete:
		if len(versions) == 0 {
			Fail(w, http.StatusNotFound, "NotFound", "Secret not found")
			return
		}
		delete(f.folders[folder], name)
		writeJSON(w, http.StatusOK, map[string]any{"secret": map[string]any{"secretKey": name}})
	}
}
