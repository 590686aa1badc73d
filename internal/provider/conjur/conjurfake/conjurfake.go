package conjurfake

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Server is a running stand-in for the account Account. Nothing logs in and it holds no
// variable until AddAPIKey (or AddJWTService, AddCertService) and Put.
type Server struct {
	*fakehttp.Server
	Account string

	mu        sync.Mutex
	variables map[string]*fakeVariable
	apiKeys   map[string]string // login → API key
	// jwtServices maps an authn-jwt service id to the JWT it accepts.
	jwtServices map[string]string
	// certServices lists the authn-cert service ids; the login is the certificate's CN.
	certServices map[string]bool
	tokens       map[string]fakeToken // base64 token → what it is
	logins       int
	tokenLife    time.Duration
	// requests counts the calls by "METHOD first-path-segment".
	requests map[string]int
}

type fakeVariable struct {
	versions    []string
	annotations map[string]string
}

type fakeToken struct {
	login  string
	expiry time.Time
}

// Start serves a stand-in for account "myorg" over TLS on a free loopback port; a client
// certificate signed by clientCAs (nil: none) may log in through authn-cert. Close stops it.
func Start(clientCAs *x509.CertPool) (*Server, error) {
	f := &Server{Account: "myorg", variables: map[string]*fakeVariable{}, apiKeys: map[string]string{},
		jwtServices: map[string]string{}, certServices: map[string]bool{}, tokens: map[string]fakeToken{},
		tokenLife: 8 * time.Minute, requests: map[string]int{}}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve), func(c *tls.Config) {
		c.ClientAuth, c.ClientCAs = tls.VerifyClientCertIfGiven, clientCAs
	})
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// AddAPIKey lets login (e.g. "host/ferry") log in through authn with apiKey.
func (f *Server) AddAPIKey(login, apiKey string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apiKeys[login] = apiKey
}

// AddJWTService creates the authn-jwt service id, which accepts exactly jwt.
func (f *Server) AddJWTService(id, jwt string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwtServices[id] = jwt
}

// AddCertService creates the authn-cert service id.
func (f *Server) AddCertService(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.certServices[id] = true
}

// Logins counts the access tokens issued.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// Count is the number of requests by "METHOD first-path-segment", e.g. "GET secrets".
func (f *Server) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// Put adds a version of a variable (creating it) and returns the version number.
func (f *Server) Put(name, value string, annotations map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.variables[name]
	if !ok {
		v = &fakeVariable{annotations: map[string]string{}}
		f.variables[name] = v
	}
	for k, a := range annotations {
		v.annotations[k] = a
	}
	v.versions = append(v.versions, value)
	return strconv.Itoa(len(v.versions))
}

// Remove deletes a variable.
func (f *Server) Remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.variables, name)
}

// RevokeAll invalidates every token issued, as a server restart with new keys would.
func (f *Server) RevokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]fakeToken{}
}

func conjurError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// segments splits the escaped path on its slashes and unescapes each segment, so a
// variable id must arrive with its own slashes escaped, as Conjur requires.
func segments(r *http.Request) ([]string, bool) {
	raw := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	out := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		out[i] = u
	}
	return out, true
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	seg, ok := segments(r)
	if !ok || len(seg) == 0 {
		conjurError(w, http.StatusBadRequest, "bad_request", "malformed path")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[r.Method+" "+seg[0]]++
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(seg[0], "authn") && seg[len(seg)-1] == "authenticate":
		f.login(w, r, seg)
		return
	case r.Method != http.MethodGet:
		conjurError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
		return
	}
	login, ok := f.authorized(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case len(seg) == 1 && seg[0] == "whoami":
		_ = json.NewEncoder(w).Encode(map[string]string{"account": f.Account, "username": login})
	case len(seg) == 1 && seg[0] == "secrets":
		f.batch(w, r)
	case len(seg) == 4 && seg[0] == "secrets" && seg[1] == f.Account && seg[2] == "variable":
		f.read(w, r, seg[3])
	case len(seg) == 2 && seg[0] == "resources" && seg[1] == f.Account:
		f.list(w, r)
	case len(seg) == 4 && seg[0] == "resources" && seg[1] == f.Account && seg[2] == "variable":
		v, ok := f.variables[seg[3]]
		if !ok {
			conjurError(w, http.StatusNotFound, "not_found", fmt.Sprintf("Variable '%s' not found in account '%s'", seg[3], f.Account))
			return
		}
		_ = json.NewEncoder(w).Encode(f.resourceJSON(seg[3], v))
	default:
		conjurError(w, http.StatusNotFound, "not_found", "no route")
	}
}

// authorized checks the Authorization header: Token token="<base64 token>".
func (f *Server) authorized(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, `Token token="`) || !strings.HasSuffix(h, `"`) {
		return "", false
	}
	tok, ok := f.tokens[strings.TrimSuffix(strings.TrimPrefix(h, `Token token="`), `"`)]
	if !ok || time.Now().After(tok.expiry) {
		return "", false
	}
	return tok.login, true
}

func (f *Server) login(w http.ResponseWriter, r *http.Request, seg []string) {
	body, _ := io.ReadAll(r.Body)
	var login string
	switch {
	case seg[0] == "authn" && len(seg) == 4 && seg[1] == f.Account:
		if key, ok := f.apiKeys[seg[2]]; ok && key == string(body) {
			login = seg[2]
		}
	case seg[0] == "authn-jwt" && (len(seg) == 4 || len(seg) == 5) && seg[2] == f.Account:
		form, err := url.ParseQuery(string(body))
		want, known := f.jwtServices[seg[1]]
		if err == nil && known && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" && form.Get("jwt") == want {
			login = "host/jwt-workload"
			if len(seg) == 5 {
				login = seg[3]
			}
		}
	case seg[0] == "authn-cert" && (len(seg) == 4 || len(seg) == 5) && seg[2] == f.Account && f.certServices[seg[1]]:
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			cn := "host/" + r.TLS.PeerCertificates[0].Subject.CommonName
			if len(seg) == 4 || seg[3] == cn {
				login = cn
			}
		}
	}
	if login == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.logins++
	tokenJSON := f.issue(login)
	if r.Header.Get("Accept-Encoding") == "base64" {
		w.Header().Set("Content-Encoding", "base64")
		_, _ = io.WriteString(w, base64.StdEncoding.EncodeToString(tokenJSON))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(tokenJSON)
}

// issue makes a Conjur 5 access token: JSON with base64url protected, payload and
// signature parts; the payload carries sub, iat and exp.
func (f *Server) issue(login string) []byte {
	now := time.Now()
	b64 := func(v any) string {
		raw, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	var sig [32]byte
	_, _ = rand.Read(sig[:])
	tokenJSON, _ := json.Marshal(map[string]string{
		"protected": b64(map[string]string{"alg": "conjur.org/slosilo/v2", "kid": "fake"}),
		"payload":   b64(map[string]any{"sub": login, "iat": now.Unix(), "exp": now.Add(f.tokenLife).Unix()}),
		"signature": base64.RawURLEncoding.EncodeToString(sig[:]),
	})
	f.tokens[base64.StdEncoding.EncodeToString(tokenJSON)] = fakeToken{login: login, expiry: now.Add(f.tokenLife)}
	return tokenJSON
}

func (f *Server) read(w http.ResponseWriter, r *http.Request, id string) {
	v, ok := f.variables[id]
	if !ok || len(v.versions) == 0 {
		conjurError(w, http.StatusNotFound, "not_found", fmt.Sprintf("CONJUR-ERR: Variable '%s' is empty or not found.", id))
		return
	}
	value := v.versions[len(v.versions)-1]
	if q := r.URL.Query().Get("version"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > len(v.versions) {
			conjurError(w, http.StatusNotFound, "not_found", fmt.Sprintf("CONJUR-ERR: Requested version does not exist for variable '%s'.", id))
			return
		}
		value = v.versions[n-1]
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.WriteString(w, value)
}

func (f *Server) batch(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query().Get("variable_ids")
	if ids == "" {
		conjurError(w, http.StatusUnprocessableEntity, "argument_error", "variable_ids is required")
		return
	}
	out := map[string]string{}
	base64Wanted := r.Header.Get("Accept-Encoding") == "base64"
	for _, id := range strings.Split(ids, ",") {
		parts := strings.SplitN(id, ":", 3)
		if len(parts) != 3 || parts[0] != f.Account || parts[1] != "variable" {
			conjurError(w, http.StatusUnprocessableEntity, "argument_error", "variable_ids must be fully qualified")
			return
		}
		v, ok := f.variables[parts[2]]
		if !ok || len(v.versions) == 0 {
			conjurError(w, http.StatusNotFound, "not_found", fmt.Sprintf("CONJUR-ERR: Variable '%s' is empty or not found.", parts[2]))
			return
		}
		value := v.versions[len(v.versions)-1]
		if base64Wanted {
			value = base64.StdEncoding.EncodeToString([]byte(value))
		}
		out[id] = value
	}
	if base64Wanted {
		w.Header().Set("Content-Encoding", "base64")
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err1 := strconv.Atoi(q.Get("limit"))
	offset, err2 := strconv.Atoi(q.Get("offset"))
	if q.Get("kind") != "variable" || err1 != nil || err2 != nil || limit < 1 || limit > 1000 || offset < 0 {
		conjurError(w, http.StatusUnprocessableEntity, "argument_error", "kind=variable, limit and offset are expected")
		return
	}
	names := make([]string, 0, len(f.variables))
	for n := range f.variables {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for i := offset; i < len(names) && i < offset+limit; i++ {
		out = append(out, f.resourceJSON(names[i], f.variables[names[i]]))
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *Server) resourceJSON(name string, v *fakeVariable) map[string]any {
	annotations := []map[string]string{}
	for k, a := range v.annotations {
		annotations = append(annotations, map[string]string{"name": k, "value": a, "policy": f.Account + ":policy:root"})
	}
	secrets := []map[string]any{}
	for i := range v.versions {
		secrets = append(secrets, map[string]any{"version": i + 1, "expires_at": nil})
	}
	return map[string]any{"id": f.Account + ":variable:" + name, "owner": f.Account + ":policy:root",
		"policy": f.Account + ":policy:root", "permissions": []any{}, "annotations": annotations, "secrets": secrets}
}
