package pulumifake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// The organization, project, environment and access token the stand-in knows.
const (
	Org     = "acme"
	Project = "payments"
	Env     = "prod"
	Token   = "pul-0123456789abcdef0123456789abcdef01234567"
)

// Start serves a stand-in whose environment has no values on a free loopback port; Close
// stops it.
func Start() (*Server, error) {
	f := &Server{sessions: map[string]fakeSession{}, requests: map[string]int{}}
	if err := f.SetDefinition("values: {}\n"); err != nil {
		return nil, err
	}
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

// SetNumericIDs makes opens answer a number as the session id, as the reference's example
// does.
func (f *Server) SetNumericIDs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.numericIDs = true
}

// SetOIDCToken is the ServiceAccount token the OAuth token exchange accepts for Org.
func (f *Server) SetOIDCToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oidcToken = token
}

// Accept is the Accept header of the last request.
func (f *Server) Accept() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accept
}

// Server is an in-process Pulumi ESC API, written from Pulumi Cloud's REST API reference
// for environments: "Authorization: token <token>" (401 without a valid one), the media
// type application/vnd.pulumi+8, POST /api/esc/environments/{org}/{project}/{env}/open
// (optional duration) answering {"id", "diagnostics"}, GET .../open/{openSessionID} with an
// optional property path answering an ESC Value ({"value", "secret", "unknown", "trace"},
// whose objects and arrays hold Values), and {"code", "message"} error bodies. An open
// session is a snapshot of the environment taken when it was opened. No Pulumi service was
// reached; this stands in for it.
//
// The definition is kept as a YAML document: GET /api/esc/environments/{org}/{project}/{env}
// returns it (fn::secret values as {ciphertext: ...}, as ESC shows them) and PATCH with a
// YAML body replaces it, comments included; opening evaluates its values.
//
// The reference does not say what a missing property or an expired session answers; the
// fake answers 404 for both, the status of a missing resource.
type Server struct {
	*fakehttp.Server

	mu       sync.Mutex
	def      *yaml.Node // the environment's definition, a YAML document
	sessions map[string]fakeSession
	next     int
	requests map[string]int // "METHOD route" → count
	accept   string         // the Accept header of the last request
	// numericIDs answers opens with a number as id, as the reference's example does.
	numericIDs bool
	// fault, when set, answers a request instead of the API.
	fault func(w http.ResponseWriter, r *http.Request) bool
	// oidcToken is the ServiceAccount token the OAuth token exchange accepts for Org;
	// issued are the organization tokens it gave, which authenticate as Token does.
	oidcToken string
	issued    []string
}

type fakeSession struct {
	values  map[string]any
	expires time.Time
}

// APIURL is the store's apiUrl for this server.
func (f *Server) APIURL() string { return f.URL + "/api/esc" }

// SetDefinition replaces the definition with text, a YAML document, as an edit in Pulumi
// Cloud would.
func (f *Server) SetDefinition(text string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.def = &doc
	return nil
}

// valuesNode is the definition's values mapping.
func (f *Server) valuesNode() *yaml.Node {
	root := f.def.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "values" {
			return root.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "values"}, v)
	return v
}

// Set writes a top-level value into the definition.
func (f *Server) Set(key string, value any) {
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	values := f.valuesNode()
	for i := 0; i+1 < len(values.Content); i += 2 {
		if values.Content[i].Value == key {
			values.Content[i+1] = &n
			return
		}
	}
	values.Content = append(values.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, &n)
}

// Remove deletes the top-level value key from the definition.
func (f *Server) Remove(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	values := f.valuesNode()
	for i := 0; i+1 < len(values.Content); i += 2 {
		if values.Content[i].Value == key {
			values.Content = append(values.Content[:i], values.Content[i+2:]...)
			return
		}
	}
}

// DefinitionText is the definition as GET returns it: fn::secret values as ciphertext.
func (f *Server) DefinitionText() string {
	raw, _ := yaml.Marshal(f.def)
	var doc yaml.Node
	_ = yaml.Unmarshal(raw, &doc)
	encryptSecrets(&doc)
	out, _ := yaml.Marshal(&doc)
	return string(out)
}

func encryptSecrets(n *yaml.Node) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "fn::secret" && n.Content[1].Kind == yaml.ScalarNode {
		plain := n.Content[1].Value
		n.Content[1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "ciphertext"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: base64.StdEncoding.EncodeToString([]byte(plain))}}}
		return
	}
	for _, c := range n.Content {
		encryptSecrets(c)
	}
}

// Resolved is what opening the environment evaluates: its values, fn::secret unwrapped.
func (f *Server) Resolved() map[string]any {
	var values map[string]any
	if err := f.valuesNode().Decode(&values); err != nil || values == nil {
		return map[string]any{}
	}
	return resolve(values).(map[string]any)
}

func resolve(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t["fn::secret"]; ok && len(t) == 1 {
			if c, ok := s.(map[string]any); ok {
				plain, _ := base64.StdEncoding.DecodeString(fmt.Sprint(c["ciphertext"]))
				return string(plain)
			}
			return s
		}
		out := map[string]any{}
		for k, x := range t {
			out[k] = resolve(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = resolve(x)
		}
		return out
	}
	return v
}

// Count is the number of requests so far of route ("POST open", "GET open/*",
// "PATCH definition", "POST /api/oauth/token").
func (f *Server) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
}

// escValue wraps a plain value as ESC answers it.
func escValue(v any) map[string]any {
	var inner any
	switch t := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range t {
			m[k] = escValue(x)
		}
		inner = m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = escValue(x)
		}
		inner = l
	default:
		inner = t
	}
	return map[string]any{"value": inner, "secret": false, "unknown": false,
		"trace": map[string]any{"def": map[string]any{"environment": Env}}}
}

// LookupPath follows a property path: names joined by dots, [n] indexes, ["name"] names.
func LookupPath(values map[string]any, path string) (any, bool) {
	var cur any = values
	for path != "" {
		var seg string
		switch {
		case strings.HasPrefix(path, `["`):
			end := strings.Index(path, `"]`)
			if end < 0 {
				return nil, false
			}
			seg, path = path[2:end], path[end+2:]
		case strings.HasPrefix(path, "["):
			end := strings.Index(path, "]")
			if end < 0 {
				return nil, false
			}
			i, err := strconv.Atoi(path[1:end])
			list, ok := cur.([]any)
			if err != nil || !ok || i < 0 || i >= len(list) {
				return nil, false
			}
			cur, path = list[i], path[end+1:]
			path = strings.TrimPrefix(path, ".")
			continue
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			seg, path = path[:end], path[end:]
		}
		path = strings.TrimPrefix(path, ".")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func clone(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/oauth/token" {
		f.exchange(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/esc/environments/")
	parts := strings.Split(rest, "/")
	route := r.Method + " " + r.URL.Path
	switch len(parts) {
	case 3:
		route = r.Method + " definition"
	case 4:
		route = r.Method + " open"
	case 5:
		route = r.Method + " open/*"
	}
	f.mu.Lock()
	f.requests[route]++
	f.accept = r.Header.Get("Accept")
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if !f.authorized(r.Header.Get("Authorization")) {
		fail(w, http.StatusUnauthorized, "Unauthorized: No credentials provided or are invalid.")
		return
	}
	if !ok || len(parts) < 3 || (len(parts) > 3 && parts[3] != "open") {
		fail(w, http.StatusNotFound, "Not Found")
		return
	}
	if parts[0] != Org || parts[1] != Project || parts[2] != Env {
		fail(w, http.StatusNotFound, "Environment '"+strings.Join(parts[:3], "/")+"' not found")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case len(parts) == 3 && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/x-yaml")
		_, _ = w.Write([]byte(f.DefinitionText()))
	case len(parts) == 3 && r.Method == http.MethodPatch:
		var doc yaml.Node
		body, _ := io.ReadAll(r.Body)
		if err := yaml.Unmarshal(body, &doc); err != nil || doc.Kind != yaml.DocumentNode || doc.Content[0].Kind != yaml.MappingNode {
			fail(w, http.StatusBadRequest, "invalid environment definition")
			return
		}
		f.def = &doc
		w.WriteHeader(http.StatusOK)
	case len(parts) == 4 && r.Method == http.MethodPost:
		lifetime := 2 * time.Hour
		if d := r.URL.Query().Get("duration"); d != "" {
			var err error
			if lifetime, err = time.ParseDuration(d); err != nil {
				fail(w, http.StatusBadRequest, "invalid duration")
				return
			}
		}
		f.next++
		id := strconv.Itoa(1234566 + f.next)
		f.sessions[id] = fakeSession{values: clone(f.Resolved()).(map[string]any), expires: time.Now().Add(lifetime)}
		var idJSON any = id
		if f.numericIDs {
			idJSON = 1234566 + f.next
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": idJSON, "diagnostics": nil})
	case len(parts) == 5 && r.Method == http.MethodGet:
		s, ok := f.sessions[parts[4]]
		if !ok || time.Now().After(s.expires) {
			fail(w, http.StatusNotFound, "open session not found")
			return
		}
		v, found := LookupPath(s.values, r.URL.Query().Get("property"))
		if !found {
			fail(w, http.StatusNotFound, fmt.Sprintf("property %q not found", r.URL.Query().Get("property")))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(escValue(v))
	default:
		fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

// ExpireSessions ends every open session, as their lifetime would.
func (f *Server) ExpireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]fakeSession{}
}

func (f *Server) authorized(header string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	token, ok := strings.CutPrefix(header, "token ")
	return ok && (token == Token || slices.Contains(f.issued, token))
}

// exchange is Pulumi Cloud's OAuth token exchange (POST /api/oauth/token, RFC 8693), as
// its REST reference describes it: a JSON body with audience urn:pulumi:org:<org>, the
// token-exchange grant, an id_token subject and a requested token type; it answers
// access_token, issued_token_type, token_type, expires_in and scope. The fake trusts one
// ServiceAccount token for Org.
func (f *Server) exchange(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests["POST /api/oauth/token"]++
	var in map[string]string
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil {
		fail(w, http.StatusBadRequest, "invalid request")
		return
	}
	if in["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange" || in["subject_token_type"] != "urn:ietf:params:oauth:token-type:id_token" ||
		in["requested_token_type"] != "urn:pulumi:token-type:access_token:organization" {
		fail(w, http.StatusBadRequest, "unsupported token exchange parameters")
		return
	}
	if in["audience"] != "urn:pulumi:org:"+Org || f.oidcToken == "" || in["subject_token"] != f.oidcToken {
		fail(w, http.StatusUnauthorized, "no authorization policy matches the token")
		return
	}
	token := fmt.Sprintf("pul-org-issued-%d", len(f.issued)+1)
	f.issued = append(f.issued, token)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "issued_token_type": "urn:pulumi:token-type:access_token:organization",
		"token_type": "token", "expires_in": 7200, "scope": ""})
}
