package azurekv

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// testTenant is the Entra ID tenant the fake token server serves.
const testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// fakeAzure is an in-process Azure: the Key Vault REST API (secrets, keys, certificates)
// behind its challenge-based bearer authentication, and an Entra ID token endpoint. No
// emulator of Key Vault exists, so it stands in for the real service.
type fakeAzure struct {
	srv *httptest.Server
	mu  sync.Mutex
	// secrets by name: versions in order, the last is current.
	secrets map[string]*fakeSecret
	keys    map[string]string // name → JWK JSON
	certs   map[string][]byte // name → DER
	tokens  map[string]bool   // access tokens issued
	logins  int
	// checkGrant, when set, vets each token request's form; a non-empty answer refuses it.
	checkGrant func(form url.Values) string
	// scopes records the scope each access token was issued for.
	scopes map[string]string
	// queue is the Storage queue testQueue (queue_server_test.go).
	queue fakeQueue
	// bus is the Service Bus queue testBusQueue (servicebus_server_test.go).
	bus fakeBus
}

type fakeSecret struct {
	versions []fakeVersion
	tags     map[string]string
	enabled  bool
}

type fakeVersion struct {
	id          string
	value       string
	contentType string
	exp         int64 // attributes.exp, seconds since the epoch; 0 is none
}

func startAzure(t *testing.T) *fakeAzure {
	t.Helper()
	f := serveAzure()
	t.Cleanup(f.srv.Close)
	return f
}

// serveAzure is startAzure for a whole package's tests: the caller closes f.srv.
func serveAzure() *fakeAzure {
	f := &fakeAzure{secrets: map[string]*fakeSecret{}, keys: map[string]string{}, certs: map[string][]byte{}, tokens: map[string]bool{},
		scopes: map[string]string{}, queue: fakeQueue{receipts: map[string]string{}}, bus: fakeBus{arrived: make(chan struct{}, 1)}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	return f
}

// Logins counts the tokens issued.
func (f *fakeAzure) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func newID() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	return hex.EncodeToString(raw[:])
}

// put stores a new current version of a secret and returns its id.
func (f *fakeAzure) put(name, value string, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[name]
	if !ok {
		s = &fakeSecret{enabled: true}
		f.secrets[name] = s
	}
	if tags != nil {
		s.tags = tags
	}
	id := newID()
	s.versions = append(s.versions, fakeVersion{id: id, value: value})
	return id
}

func (f *fakeAzure) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, name)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func kvError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": code}})
}

func (f *fakeAzure) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/messages/head") {
		f.serveBus(w, r) // waits for messages: takes f.mu only while it looks
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/v2.0/.well-known/openid-configuration"):
		base := f.srv.URL + "/" + testTenant
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/v2.0",
		})
		return
	case path == "/"+testTenant+"/oauth2/v2.0/token":
		f.token(w, r)
		return
	case strings.HasPrefix(path, "/"+testQueue+"/messages"):
		f.serveQueue(w, r)
		return
	}
	// Key Vault: first an anonymous request answered with a challenge, then a bearer token.
	if r.URL.Query().Get("api-version") == "" {
		kvError(w, http.StatusBadRequest, "MissingApiVersionParameter")
		return
	}
	auth := r.Header.Get("Authorization")
	if !f.tokens[strings.TrimPrefix(auth, "Bearer ")] {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="%s/%s", resource="https://vault.azure.net"`, f.srv.URL, testTenant))
		kvError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case parts[0] == "secrets" && len(parts) == 1 && r.Method == http.MethodGet:
		f.listSecrets(w)
	case parts[0] == "secrets" && r.Method == http.MethodGet:
		f.getSecret(w, parts[1], at(parts, 2))
	case parts[0] == "secrets" && r.Method == http.MethodPut:
		// Set Secret: a new version with its own tags, content type and attributes.
		var body struct {
			Value       string            `json:"value"`
			Tags        map[string]string `json:"tags"`
			ContentType string            `json:"contentType"`
			Attributes  struct {
				Exp int64 `json:"exp"`
			} `json:"attributes"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			kvError(w, http.StatusBadRequest, "BadParameter")
			return
		}
		s, ok := f.secrets[parts[1]]
		if !ok {
			s = &fakeSecret{enabled: true}
			f.secrets[parts[1]] = s
		}
		s.tags = body.Tags
		s.versions = append(s.versions, fakeVersion{id: newID(), value: body.Value, contentType: body.ContentType, exp: body.Attributes.Exp})
		f.getSecret(w, parts[1], "")
	case parts[0] == "secrets" && r.Method == http.MethodDelete:
		if _, ok := f.secrets[parts[1]]; !ok {
			kvError(w, http.StatusNotFound, "SecretNotFound")
			return
		}
		delete(f.secrets, parts[1])
		writeJSON(w, http.StatusOK, map[string]any{"id": f.srv.URL + "/secrets/" + parts[1], "recoveryId": f.srv.URL + "/deletedsecrets/" + parts[1]})
	case parts[0] == "keys" && r.Method == http.MethodGet:
		jwk, ok := f.keys[parts[1]]
		if !ok {
			kvError(w, http.StatusNotFound, "KeyNotFound")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"key": json.RawMessage(jwk), "attributes": map[string]any{"enabled": true}, "tags": map[string]string{"kind": "key"}})
	case parts[0] == "certificates" && r.Method == http.MethodGet:
		der, ok := f.certs[parts[1]]
		if !ok {
			kvError(w, http.StatusNotFound, "CertificateNotFound")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": f.srv.URL + "/certificates/" + parts[1], "cer": base64.StdEncoding.EncodeToString(der), "tags": map[string]string{"kind": "cert"}})
	default:
		kvError(w, http.StatusNotFound, "NotFound")
	}
}

func at(parts []string, i int) string {
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

func (f *fakeAzure) getSecret(w http.ResponseWriter, name, version string) {
	s, ok := f.secrets[name]
	if !ok {
		kvError(w, http.StatusNotFound, "SecretNotFound")
		return
	}
	if !s.enabled {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": "Forbidden", "message": "disabled",
			"innererror": map[string]any{"code": "SecretDisabled"}}})
		return
	}
	v := s.versions[len(s.versions)-1]
	if version != "" {
		found := false
		for _, candidate := range s.versions {
			if candidate.id == version {
				v, found = candidate, true
			}
		}
		if !found {
			kvError(w, http.StatusNotFound, "SecretNotFound")
			return
		}
	}
	attributes := map[string]any{"enabled": true}
	if v.exp != 0 {
		attributes["exp"] = v.exp
	}
	body := map[string]any{
		"value": v.value, "id": f.srv.URL + "/secrets/" + name + "/" + v.id,
		"attributes": attributes, "tags": s.tags,
	}
	if v.contentType != "" {
		body["contentType"] = v.contentType
	}
	writeJSON(w, http.StatusOK, body)
}

func (f *fakeAzure) listSecrets(w http.ResponseWriter) {
	items := []map[string]any{}
	for name, s := range f.secrets {
		items = append(items, map[string]any{"id": f.srv.URL + "/secrets/" + name,
			"attributes": map[string]any{"enabled": s.enabled}, "tags": s.tags})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": nil})
}

// token is Entra ID's token endpoint for the client credentials grant, with a client
// secret or a client assertion (certificate or federated token).
func (f *fakeAzure) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_id") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		return
	}
	if r.PostForm.Get("client_secret") == "" && r.PostForm.Get("client_assertion") == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	if f.checkGrant != nil {
		if reason := f.checkGrant(r.PostForm); reason != "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": reason})
			return
		}
	}
	f.logins++
	token := "at-" + newID()
	f.tokens[token] = true
	f.scopes[token] = r.PostForm.Get("scope")
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token})
}
