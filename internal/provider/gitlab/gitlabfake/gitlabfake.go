package gitlabfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// The credentials and project the stand-in knows.
const (
	// Token is the one personal access token accepted.
	Token = "glpat-test-token"
	// Project is the ID of the one project; its URL-encoded path "acme/app" names it too.
	Project = "42"
)

// Variable is a CI/CD variable as GitLab's API returns it.
type Variable struct {
	Key              string `json:"key"`
	Value            string `json:"value"`
	EnvironmentScope string `json:"environment_scope"`
	Description      string `json:"description"`
}

// Server is a running stand-in, served over TLS. It knows project Project, with no
// variables until Set, and no group until AddGroup.
type Server struct {
	*fakehttp.Server

	mu sync.Mutex
	// vars by owner path ("projects/42", "groups/7").
	vars     map[string][]Variable
	groups   []map[string]any // the project's ancestors
	requests map[string]int
	fault    func(w http.ResponseWriter, r *http.Request) bool
}

// Start serves a stand-in on a free loopback port over TLS; Close stops it.
func Start() (*Server, error) {
	f := &Server{vars: map[string][]Variable{"projects/" + Project: nil}, requests: map[string]int{}}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// AddOwner makes the group or project owner ("groups/7") exist, with no variables.
func (f *Server) AddOwner(owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.vars[owner]; !ok {
		f.vars[owner] = nil
	}
}

// SetAncestors is what GET /projects/:id/groups returns: the project's ancestor groups,
// each with "id" and "full_path".
func (f *Server) SetAncestors(groups []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = groups
}

// SetFault lets fault answer a request first; it returns true when it has.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

var validKey = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Set creates or replaces the variable of owner with v's key and environment scope
// (default "*").
func (f *Server) Set(owner string, v Variable) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.EnvironmentScope == "" {
		v.EnvironmentScope = "*"
	}
	list := f.vars[owner]
	for i, old := range list {
		if old.Key == v.Key && old.EnvironmentScope == v.EnvironmentScope {
			list[i] = v
			return
		}
	}
	f.vars[owner] = append(list, v)
}

// Find is owner's variable key of environment scope.
func (f *Server) Find(owner, key, scope string) (Variable, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.vars[owner] {
		if v.Key == key && v.EnvironmentScope == scope {
			return v, true
		}
	}
	return Variable{}, false
}

// Remove deletes owner's variables named key, in every scope.
func (f *Server) Remove(owner, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var kept []Variable
	for _, v := range f.vars[owner] {
		if v.Key != key {
			kept = append(kept, v)
		}
	}
	f.vars[owner] = kept
}

// Count is the number of requests so far whose "METHOD /path" starts with prefix.
func (f *Server) Count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.requests {
		if strings.HasPrefix(k, prefix) {
			n += c
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
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
	if r.Header.Get("PRIVATE-TOKEN") != Token && r.Header.Get("Authorization") != "Bearer "+Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 || (parts[0] != "projects" && parts[0] != "groups") {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	id, _ := url.PathUnescape(parts[1])
	if id == "acme/app" {
		id = Project // a project may be named by its URL-encoded path
	}
	owner := parts[0] + "/" + id
	if _, ok := f.vars[owner]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 " + strings.TrimSuffix(strings.ToUpper(parts[0][:1])+parts[0][1:], "s") + " Not Found"})
		return
	}
	switch {
	case parts[0] == "projects" && parts[2] == "groups" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.groups)
	case parts[2] == "variables" && len(parts) == 3 && r.Method == http.MethodGet:
		f.list(w, r, owner)
	case parts[2] == "variables" && len(parts) == 3 && r.Method == http.MethodPost:
		f.create(w, r, owner)
	case parts[2] == "variables" && len(parts) == 4:
		key, _ := url.PathUnescape(parts[3])
		f.one(w, r, owner, key)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	}
}

func (f *Server) list(w http.ResponseWriter, r *http.Request, owner string) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if page < 1 {
		page = 1
	}
	if per < 1 || per > 100 {
		per = 20
	}
	all := f.vars[owner]
	pages := (len(all) + per - 1) / per
	start, end := min((page-1)*per, len(all)), min(page*per, len(all))
	w.Header().Set("X-Page", strconv.Itoa(page))
	w.Header().Set("X-Per-Page", strconv.Itoa(per))
	w.Header().Set("X-Total", strconv.Itoa(len(all)))
	w.Header().Set("X-Total-Pages", strconv.Itoa(pages))
	next := ""
	if page < pages {
		next = strconv.Itoa(page + 1)
	}
	w.Header().Set("X-Next-Page", next)
	out := append([]Variable{}, all[start:end]...)
	writeJSON(w, http.StatusOK, out)
}

type variableBody struct {
	Key              string `json:"key"`
	Value            string `json:"value"`
	EnvironmentScope string `json:"environment_scope"`
	Description      string `json:"description"`
}

func (f *Server) create(w http.ResponseWriter, r *http.Request, owner string) {
	var body variableBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !validKey.MatchString(body.Key) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{"key": {"can contain only letters, digits and '_'."}}})
		return
	}
	if body.EnvironmentScope == "" {
		body.EnvironmentScope = "*"
	}
	for _, v := range f.vars[owner] {
		if v.Key == body.Key && v.EnvironmentScope == body.EnvironmentScope {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{"key": {"(" + body.Key + ") has already been taken"}}})
			return
		}
	}
	v := Variable(body)
	f.vars[owner] = append(f.vars[owner], v)
	writeJSON(w, http.StatusCreated, v)
}

func (f *Server) one(w http.ResponseWriter, r *http.Request, owner, key string) {
	scope := r.URL.Query().Get("filter[environment_scope]")
	idx := -1
	matches := 0
	for i, v := range f.vars[owner] {
		if v.Key == key && (scope == "" || v.EnvironmentScope == scope) {
			idx = i
			matches++
		}
	}
	if matches > 1 {
		writeJSON(w, http.StatusConflict, map[string]string{"message": "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"})
		return
	}
	if idx < 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Variable Not Found"})
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, f.vars[owner][idx])
	case http.MethodPut:
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if v, ok := body["value"].(string); ok {
			f.vars[owner][idx].Value = v
		}
		if d, ok := body["description"].(string); ok {
			f.vars[owner][idx].Description = d
		}
		writeJSON(w, http.StatusOK, f.vars[owner][idx])
	case http.MethodDelete:
		f.vars[owner] = append(f.vars[owner][:idx], f.vars[owner][idx+1:]...)
		w.WriteHeader(http.StatusNoContent)
	}
}
