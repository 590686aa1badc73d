package ibmfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Server is a running IAM (at IAM.URL) and Secrets Manager instance (at SM.URL). IAM
// accepts the API keys given to Start; the instance holds no secret until Put.
type Server struct {
	IAM, SM *fakehttp.Server

	mu sync.Mutex
	// apiKeys are the API keys IAM accepts; crToken and profile the compute resource token
	// and trusted profile name it accepts.
	apiKeys         map[string]bool
	crToken         string
	profile         string
	tokens          map[string]time.Time // access token → expiry
	logins          int
	expiresIn       int
	secrets         map[string]*fakeSecret // by ID
	groups          map[string]string      // secret group name → ID
	requests        map[string]int         // "METHOD path" → count
	lastContentType string
	// fault, when set, answers a Secrets Manager request instead of the instance.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

type fakeSecret struct {
	fields   map[string]any   // the resource's top-level fields, value fields included
	versions []map[string]any // oldest first; each holds its id and value fields
}

// Start serves IAM and Secrets Manager on two free loopback ports; IAM accepts apiKeys.
// Close stops both.
func Start(apiKeys ...string) (*Server, error) {
	f := &Server{apiKeys: map[string]bool{}, tokens: map[string]time.Time{}, expiresIn: 3600,
		secrets: map[string]*fakeSecret{}, groups: map[string]string{"default": "default"}, requests: map[string]int{}}
	for _, k := range apiKeys {
		f.apiKeys[k] = true
	}
	iam, err := fakehttp.Start(http.HandlerFunc(f.serveIAM))
	if err != nil {
		return nil, err
	}
	sm, err := fakehttp.Start(http.HandlerFunc(f.serveSM))
	if err != nil {
		iam.Close()
		return nil, errors.Join(errors.New("start the Secrets Manager stand-in"), err)
	}
	f.IAM, f.SM = iam, sm
	return f, nil
}

// Close stops both servers.
func (f *Server) Close() {
	f.IAM.Close()
	f.SM.Close()
}

// NewID is a new random UUID, the shape of IBM's secret and version IDs.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// SetTrustedProfile makes IAM accept the compute resource token crToken for the trusted
// profile named profile (the cr-token grant); "" accepts none.
func (f *Server) SetTrustedProfile(crToken, profile string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.crToken, f.profile = crToken, profile
}

// LastContentType is the Content-Type of the last token request IAM received.
func (f *Server) LastContentType() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastContentType
}

// SetFault makes fault see each Secrets Manager request first; when it returns true it has
// answered. nil restores the instance.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Put creates the secret named name of secretType in the group named group (creating the
// group, with an ID of its own, when it is new), or adds a version to it, with the type's
// value fields, and returns the secret's ID and the new version's ID.
func (f *Server) Put(groupName, secretType, name string, values map[string]any) (id, version string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	group, ok := f.groups[groupName]
	if !ok {
		group = NewID()
		f.groups[groupName] = group
	}
	var s *fakeSecret
	for _, cand := range f.secrets {
		if cand.fields["name"] == name && cand.fields["secret_type"] == secretType && cand.fields["secret_group_id"] == group {
			s = cand
		}
	}
	if s == nil {
		id = NewID()
		s = &fakeSecret{fields: map[string]any{"id": id, "name": name, "secret_type": secretType, "secret_group_id": group,
			"created_by": "iam-ServiceId-1234", "created_at": "2026-01-02T03:04:05Z", "labels": []string{"team-a"},
			"state": 1, "state_description": "active", "versions_total": 0}}
		f.secrets[id] = s
	}
	version = NewID()
	v := map[string]any{"id": version, "secret_id": s.fields["id"], "secret_type": secretType, "created_at": "2026-01-02T03:04:05Z"}
	for k, val := range values {
		v[k] = val
		s.fields[k] = val
	}
	s.versions = append(s.versions, v)
	s.fields["versions_total"] = len(s.versions)
	s.fields["updated_at"] = time.Now().UTC().Format(time.RFC3339)
	return s.fields["id"].(string), version
}

// Remove deletes the secret named name of secretType in the group named groupName.
func (f *Server) Remove(groupName, secretType, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	group := f.groups[groupName]
	for id, s := range f.secrets {
		if s.fields["name"] == name && s.fields["secret_type"] == secretType && s.fields["secret_group_id"] == group {
			delete(f.secrets, id)
		}
	}
}

// Logins counts the IAM tokens issued.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// Count is the number of requests by "METHOD path", to IAM or Secrets Manager.
func (f *Server) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// SMRequests counts the requests Secrets Manager received.
func (f *Server) SMRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for key, count := range f.requests {
		if strings.Contains(key, " /api/") {
			n += count
		}
	}
	return n
}

// DropTokens forgets every issued token, as when IAM's tokens have expired server side.
func (f *Server) DropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func iamError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errorCode": code, "errorMessage": msg,
		"context": map[string]any{"requestId": "req-1", "requestType": "incoming.Identity_Token"}})
}

// SMError writes a Secrets Manager error body with status, code and message.
func SMError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "message": msg,
		"more_info": "https://cloud.ibm.com/apidocs/secrets-manager/secrets-manager-v2"}}, "status_code": status, "trace": "trace-1"})
}

func (f *Server) serveIAM(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[r.Method+" "+r.URL.Path]++
	if r.Method != http.MethodPost || r.URL.Path != "/identity/token" {
		iamError(w, http.StatusNotFound, "BXNIM0101E", "Not found")
		return
	}
	f.lastContentType = r.Header.Get("Content-Type")
	if f.lastContentType != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		iamError(w, http.StatusBadRequest, "BXNIM0109E", "Property missing or empty")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "urn:ibm:params:oauth:grant-type:apikey":
		if !f.apiKeys[r.PostForm.Get("apikey")] {
			iamError(w, http.StatusBadRequest, "BXNIM0415E", "Provided API key could not be found.")
			return
		}
	case "urn:ibm:params:oauth:grant-type:cr-token":
		if f.crToken == "" || r.PostForm.Get("cr_token") != f.crToken || r.PostForm.Get("profile_name") != f.profile {
			iamError(w, http.StatusBadRequest, "BXNIM0450E", "The compute resource token is not valid for the trusted profile.")
			return
		}
	default:
		iamError(w, http.StatusBadRequest, "BXNIM0109E", "Grant type not supported")
		return
	}
	f.logins++
	token := fmt.Sprintf("iam-access-token-%d", f.logins)
	expiry := time.Now().Add(time.Duration(f.expiresIn) * time.Second)
	f.tokens[token] = expiry
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "refresh_token": "not_supported", "token_type": "Bearer",
		"expires_in": f.expiresIn, "expiration": expiry.Unix(), "scope": "ibm openid"})
}

func (f *Server) serveSM(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.Method+" "+r.URL.Path]++
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if expiry, ok := f.tokens[token]; !ok || time.Now().After(expiry) {
		SMError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v2/"), "/")
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		SMError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
		return
	}
	switch {
	case len(parts) == 1 && parts[0] == "secret_groups":
		groups := []map[string]any{}
		for name, id := range f.groups {
			groups = append(groups, map[string]any{"id": id, "name": name})
		}
		writeJSON(w, http.StatusOK, map[string]any{"secret_groups": groups, "total_count": len(groups)})
	case len(parts) == 2 && parts[0] == "secrets":
		f.answer(w, f.secrets[parts[1]], "")
	case len(parts) == 4 && parts[0] == "secrets" && parts[2] == "versions":
		f.answer(w, f.secrets[parts[1]], parts[3])
	case len(parts) == 6 && parts[0] == "secret_groups" && parts[2] == "secret_types" && parts[4] == "secrets":
		group, ok := f.groups[parts[1]]
		if !ok {
			SMError(w, http.StatusNotFound, "not_found", "Secret group not found")
			return
		}
		var found *fakeSecret
		for _, s := range f.secrets {
			if s.fields["secret_group_id"] == group && s.fields["secret_type"] == parts[3] && s.fields["name"] == parts[5] {
				found = s
			}
		}
		f.answer(w, found, "")
	default:
		SMError(w, http.StatusNotFound, "not_found", "Not found")
	}
}

// answer writes the secret, or its version ("current", "previous" or an ID).
func (f *Server) answer(w http.ResponseWriter, s *fakeSecret, version string) {
	if s == nil {
		SMError(w, http.StatusNotFound, "not_found", "Secret not found")
		return
	}
	if version == "" {
		writeJSON(w, http.StatusOK, s.fields)
		return
	}
	n := len(s.versions)
	for i, v := range s.versions {
		if v["id"] == version || (version == "current" && i == n-1) || (version == "previous" && i == n-2) {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	SMError(w, http.StatusNotFound, "not_found", "Secret version not found")
}
