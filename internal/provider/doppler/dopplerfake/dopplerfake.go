package dopplerfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Start serves a stand-in over TLS on a free loopback port, with no config and no token
// until SetConfig and AddPersonalToken; Close stops it.
func Start() (*Server, error) {
	f := &Server{configs: map[string]map[string]string{}, personal: map[string]bool{}, service: map[string]string{},
		requests: map[string]int{}}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// SetConfig replaces the secrets of the config scope ("project/config").
func (f *Server) SetConfig(scope string, secrets map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configs[scope] = secrets
}

// AddPersonalToken accepts token for every config.
func (f *Server) AddPersonalToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.personal[token] = true
}

// RevokePersonalTokens refuses every personal token, the exchanged ones too.
func (f *Server) RevokePersonalTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.personal)
}

// AddServiceToken accepts token for the config scope ("project/config") only.
func (f *Server) AddServiceToken(token, scope string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.service[token] = scope
}

// SetOIDC has the OIDC exchange accept the ServiceAccount token for identity.
func (f *Server) SetOIDC(identity, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identity, f.oidcToken = identity, token
}

// SetFault lets fault answer a request first; it returns true when it has.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Server is an in-process Doppler API (v3), written from Doppler's public API
// reference: bearer or basic token auth, the config download (json and env formats, the
// secrets filter, name transformers), the secrets update with change_requests, the OIDC
// exchange of service account identities, and {"messages":[...],"success":false} error
// bodies. No Doppler emulator exists; it stands in for the real service.
type Server struct {
	*fakehttp.Server

	mu sync.Mutex
	// configs by "project/config": secret name → value.
	configs map[string]map[string]string
	// tokens: personal tokens (any config) and service tokens (one config).
	personal map[string]bool
	service  map[string]string // token → "project/config"
	// identity is the OIDC identity accepted, and audiences the ServiceAccount token must carry.
	identity  string
	oidcToken string
	exchanges int
	requests  map[string]int // "METHOD path" → count
	// fault, when set, answers a request instead of the API.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

var dopplerName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Set creates or replaces the secret name of the config scope ("project/config").
func (f *Server) Set(scope, name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.configs[scope] == nil {
		f.configs[scope] = map[string]string{}
	}
	f.configs[scope][name] = value
}

// Get is the secret name of the config scope.
func (f *Server) Get(scope, name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.configs[scope][name]
	return v, ok
}

// Remove deletes the secret name of the config scope.
func (f *Server) Remove(scope, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.configs[scope], name)
}

// Count is the number of requests so far of key, "METHOD /path".
func (f *Server) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// Logins is the number of OIDC exchanges granted so far.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Fail answers with Doppler's error body.
func Fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"messages": []string{msg}, "success": false})
}

// tokenOf reads the token of a bearer or basic (token as user name) Authorization header.
func tokenOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(auth, "Bearer "); ok {
		return t
	}
	if b, ok := strings.CutPrefix(auth, "Basic "); ok {
		raw, _ := base64.StdEncoding.DecodeString(b)
		user, _, _ := strings.Cut(string(raw), ":")
		return user
	}
	return ""
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
	if r.URL.Path == "/v3/auth/oidc" && r.Method == http.MethodPost {
		f.oidc(w, r)
		return
	}
	scope, ok := f.authorize(w, r)
	if !ok {
		return
	}
	switch {
	case r.URL.Path == "/v3/configs/config/secrets/download" && r.Method == http.MethodGet:
		f.download(w, r, scope)
	case r.URL.Path == "/v3/configs/config/secrets" && r.Method == http.MethodPost:
		f.update(w, r, scope)
	default:
		Fail(w, http.StatusNotFound, "Not found")
	}
}

// authorize checks the token and resolves the config a request is about: a service
// token's own, or the project and config named (in the query, or the body of a POST).
func (f *Server) authorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	token := tokenOf(r)
	if own, ok := f.service[token]; ok {
		return own, true
	}
	if !f.personal[token] {
		Fail(w, http.StatusUnauthorized, "Invalid Auth token")
		return "", false
	}
	project, config := r.URL.Query().Get("project"), r.URL.Query().Get("config")
	if r.Method == http.MethodPost {
		var body struct{ Project, Config string }
		raw, _ := readBody(r)
		_ = json.Unmarshal(raw, &body)
		project, config = body.Project, body.Config
	}
	if project == "" || config == "" {
		Fail(w, http.StatusBadRequest, "You must specify a project and config")
		return "", false
	}
	scope := project + "/" + config
	if _, ok := f.configs[scope]; !ok {
		Fail(w, http.StatusNotFound, "Could not find requested config '"+config+"'")
		return "", false
	}
	return scope, true
}

var transformers = map[string]func(string) string{
	"lower-snake": strings.ToLower,
	"lower-kebab": func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") },
	"tf-var":      func(s string) string { return "TF_VAR_" + strings.ToLower(s) },
}

func (f *Server) download(w http.ResponseWriter, r *http.Request, scope string) {
	q := r.URL.Query()
	out := map[string]string{}
	var only map[string]bool
	if s := q.Get("secrets"); s != "" {
		only = map[string]bool{}
		for _, n := range strings.Split(s, ",") {
			only[n] = true
		}
	}
	transform := func(s string) string { return s }
	if name := q.Get("name_transformer"); name != "" {
		if transformers[name] == nil {
			Fail(w, http.StatusBadRequest, "Invalid name transformer")
			return
		}
		transform = transformers[name]
	}
	for k, v := range f.configs[scope] {
		if only == nil || only[k] {
			out[transform(k)] = v
		}
	}
	switch q.Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, out)
	case "env":
		names := make([]string, 0, len(out))
		for k := range out {
			names = append(names, k)
		}
		sort.Strings(names)
		w.Header().Set("Content-Type", "text/plain")
		for _, k := range names {
			fmt.Fprintf(w, "%s=%q\n", k, out[k])
		}
	default:
		Fail(w, http.StatusBadRequest, "Invalid format")
	}
}

func (f *Server) update(w http.ResponseWriter, r *http.Request, scope string) {
	raw, _ := readBody(r)
	var body struct {
		Secrets        map[string]string `json:"secrets"`
		ChangeRequests []struct {
			Name         string  `json:"name"`
			OriginalName *string `json:"originalName"`
			Value        *string `json:"value"`
			ShouldDelete bool    `json:"shouldDelete"`
		} `json:"change_requests"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || (body.Secrets == nil) == (body.ChangeRequests == nil) {
		Fail(w, http.StatusBadRequest, "Must specify either secrets or change_requests")
		return
	}
	config := f.configs[scope]
	for name, v := range body.Secrets {
		if !dopplerName.MatchString(name) {
			Fail(w, http.StatusBadRequest, "Secret names must be uppercase letters, numbers, and underscores")
			return
		}
		config[name] = v
	}
	for _, ch := range body.ChangeRequests {
		if !dopplerName.MatchString(ch.Name) {
			Fail(w, http.StatusBadRequest, "Secret names must be uppercase letters, numbers, and underscores")
			return
		}
		_, exists := config[ch.Name]
		switch {
		case ch.ShouldDelete:
			delete(config, ch.Name)
		case ch.OriginalName == nil && exists:
			Fail(w, http.StatusBadRequest, "Secret "+ch.Name+" already exists")
			return
		case ch.Value != nil:
			config[ch.Name] = *ch.Value
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": map[string]any{}, "success": true})
}

func (f *Server) oidc(w http.ResponseWriter, r *http.Request) {
	raw, _ := readBody(r)
	var body struct{ Identity, Token string }
	if err := json.Unmarshal(raw, &body); err != nil || body.Identity != f.identity || body.Token != f.oidcToken || f.identity == "" {
		Fail(w, http.StatusUnauthorized, "Unable to authenticate with OIDC token")
		return
	}
	f.exchanges++
	token := fmt.Sprintf("dp.sa.oidc-%d", f.exchanges)
	f.personal[token] = true
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "token": token,
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

// readBody reads the request's body and puts it back, so it can be read again.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return raw, err
}
