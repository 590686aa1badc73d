package akeyless

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAkeyless is an in-process Akeyless API (v2, as api.akeyless.io and a gateway's /v2
// serve it): every command is a POST of a JSON body to /<command> with the token inside the
// body, answered with JSON; errors are a status with the reference's errorResponse, a JSON
// object with one "error" field. The reference gives no status codes for errors: refused
// logins and tokens are 401, missing items and versions 404, as the provider's page says. It speaks
// /auth (access_key and k8s), /describe-item, /get-secret-value, /get-dynamic-secret-value,
// /get-rotated-secret-value, /get-certificate-value, /list-items, /create-secret,
// /update-secret-val and /delete-item, with the field names of
// Akeyless's OpenAPI description (names, version, token, ignore-cache, access-id,
// access-key, k8s-service-account-token, k8s-auth-config-name, item_name, item_type,
// item_tags, next_page, pagination-token); list-items' filter matches any part of a name,
// as the reference describes it, and /auth knows only its own access types (access_key, the
// default, not ESO's "api_key"). No Akeyless runs on the build machine, so it stands in for
// the real service.
type fakeAkeyless struct {
	srv *httptest.Server

	accessID, accessKey string
	// k8sAccessID and k8sConf are the Kubernetes auth method; k8sSubject, when set, is the
	// subject its ServiceAccount tokens must carry.
	k8sAccessID, k8sConf, k8sSubject string
	// reviewK8s returns the subject of a ServiceAccount token the way the gateway's
	// Kubernetes auth config learns it (a TokenReview); nil reads the sub claim unchecked,
	// for tests without a control plane.
	reviewK8s func(token string) (string, bool)
	// The cloud auth methods: the AWS IAM method's access id and the IAM identity (access
	// key id) it is bound to, with the secret keys STS knows; the Azure AD method bound to
	// a managed identity's object id; the GCP method bound to a service account.
	awsAccessID, awsBoundKeyID string
	awsSecrets                 map[string]string
	// stsEndpoint, when set, is a real STS (moto) the aws_iam request is sent to, as
	// Akeyless sends it to AWS; the caller's ARN must then start with awsBoundARN.
	stsEndpoint, awsBoundARN   string
	azureAccessID, azureObject string
	gcpAccessID, gcpAccount    string
	// azureTokens and gcpTokens are the tokens the metadata services issued, with the
	// object id or (email, audience) they were issued for: what Azure AD and Google would
	// verify.
	azureTokens map[string]string
	// entraApp, when set, returns the Entra ID application an access token was issued to
	// (Azure Workload Identity), and azureApp is the application the Azure AD method is
	// bound to.
	entraApp  func(token string) (string, bool)
	azureApp  string
	gcpTokens map[string][2]string

	mu     sync.Mutex
	items  map[string]*fakeItem
	tokens map[string]time.Time
	calls  map[string]int
	// tokenLife is the life of the tokens /auth issues; expiration is announced with them.
	tokenLife time.Duration
	// pageSize splits /list-items answers into pages.
	pageSize int
	// ignoreCache records the ignore-cache flags /get-secret-value was sent.
	ignoreCache []string
}

type fakeItem struct {
	typ      string
	versions []string       // static secrets: version i+1 is versions[i]
	object   map[string]any // dynamic, rotated and certificate answers
	tags     []string
}

func startAkeyless(t *testing.T) *fakeAkeyless {
	t.Helper()
	f := &fakeAkeyless{accessID: "p-apikey1", accessKey: "access-key-1", k8sAccessID: "p-k8s1", k8sConf: "ferry-k8s",
		awsAccessID: "p-aws1", awsBoundKeyID: "AKIAFERRYTEST", awsSecrets: map[string]string{"AKIAFERRYTEST": "secret-of-the-key", "AKIAOTHER": "other-secret"},
		azureAccessID: "p-azure1", azureObject: "obj-ferry", gcpAccessID: "p-gcp1", gcpAccount: "ferry@proj.iam.gserviceaccount.com",
		azureTokens: map[string]string{}, gcpTokens: map[string][2]string{},
		items: map[string]*fakeItem{}, tokens: map[string]time.Time{}, calls: map[string]int{}, tokenLife: time.Hour, pageSize: 1000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// putStatic writes a new version of a static secret and returns its number.
func (f *fakeAkeyless) putStatic(name, value string, tags ...string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	it := f.items[name]
	if it == nil || it.typ != typeStatic {
		it = &fakeItem{typ: typeStatic}
		f.items[name] = it
	}
	it.versions = append(it.versions, value)
	it.tags = tags
	return len(it.versions)
}

func (f *fakeAkeyless) putObject(name, typ string, object map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[name] = &fakeItem{typ: typ, object: object}
}

func (f *fakeAkeyless) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.items, name)
}

func (f *fakeAkeyless) count(command string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[command]
}

// Logins counts the tokens /auth issued.
func (f *fakeAkeyless) Logins() int { return f.count("auth ok") }

func (f *fakeAkeyless) dropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

func akeylessError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// knownCommands are the commands the server speaks.
var knownCommands = map[string]bool{"auth": true, "describe-item": true, "get-secret-value": true, "get-dynamic-secret-value": true,
	"get-certificate-value": true, "get-rotated-secret-value": true, "list-items": true,
	"create-secret": true, "update-secret-val": true, "delete-item": true}

func (f *fakeAkeyless) serve(w http.ResponseWriter, r *http.Request) {
	command := strings.TrimPrefix(r.URL.Path, "/")
	if r.Method != http.MethodPost {
		akeylessError(w, http.StatusMethodNotAllowed, "commands are POSTed")
		return
	}
	// The API root and any other path are not commands: "unknown command", whatever the
	// body (ESO's provider tells a v2 API from a gateway's root by this answer).
	if !knownCommands[command] {
		f.mu.Lock()
		f.calls["unknown"]++
		f.mu.Unlock()
		akeylessError(w, http.StatusNotFound, "unknown command "+command)
		return
	}
	var body map[string]any
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&body) != nil {
		akeylessError(w, http.StatusBadRequest, "failed to parse the request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[command]++
	if command == "auth" {
		f.auth(w, body)
		return
	}
	token, _ := body["token"].(string)
	if exp, ok := f.tokens[token]; !ok || time.Now().After(exp) {
		akeylessError(w, http.StatusUnauthorized, "Unauthorized: the token is invalid or expired")
		return
	}
	switch command {
	case "describe-item":
		name, _ := body["name"].(string)
		it := f.items[name]
		if it == nil {
			akeylessError(w, http.StatusNotFound, "Item "+name+" not found")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"item_name": name, "item_type": it.typ, "item_tags": it.tags, "item_id": 1})
	case "get-secret-value":
		f.getSecretValue(w, body)
	case "get-dynamic-secret-value", "get-certificate-value":
		name, _ := body["name"].(string)
		f.object(w, name)
	case "get-rotated-secret-value":
		name, _ := body["names"].(string)
		f.object(w, name)
	case "list-items":
		f.listItems(w, body)
	case "create-secret", "update-secret-val", "delete-item":
		f.write(w, command, body)
	}
}

func (f *fakeAkeyless) auth(w http.ResponseWriter, body map[string]any) {
	str := func(k string) string { s, _ := body[k].(string); return s }
	switch str("access-type") {
	case "access_key", "": // /auth's default; "api_key" is ESO's name for it, not an access type of /auth
		if str("access-id") != f.accessID || str("access-key") != f.accessKey {
			akeylessError(w, http.StatusUnauthorized, "failed to authenticate: access denied for access id "+str("access-id"))
			return
		}
	case "k8s":
		if str("access-id") != f.k8sAccessID || str("k8s-auth-config-name") != f.k8sConf {
			akeylessError(w, http.StatusUnauthorized, "failed to authenticate: unknown k8s auth config "+str("k8s-auth-config-name"))
			return
		}
		if sub, ok := f.k8sTokenSubject(str("k8s-service-account-token")); !ok || (f.k8sSubject != "" && sub != f.k8sSubject) {
			akeylessError(w, http.StatusUnauthorized, "failed to authenticate: the k8s service account token was not accepted")
			return
		}
	case "aws_iam", "azure_ad", "gcp":
		if reason := f.cloudIdentity(str("access-type"), str("access-id"), str("cloud-id")); reason != "" {
			akeylessError(w, http.StatusUnauthorized, "failed to authenticate: "+reason)
			return
		}
	default:
		akeylessError(w, http.StatusBadRequest, "unsupported access type "+str("access-type"))
		return
	}
	tok := "t-" + randomHex()
	exp := time.Now().Add(f.tokenLife)
	f.tokens[tok] = exp
	f.calls["auth ok"]++
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "expiration": exp.UTC().Format(time.RFC3339)})
}

func randomHex() string {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	return hex.EncodeToString(raw[:])
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// k8sTokenSubject decodes a base64-encoded ServiceAccount token, as k8s logins send it,
// and returns its subject.
func (f *fakeAkeyless) k8sTokenSubject(b64 string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	if f.reviewK8s != nil {
		return f.reviewK8s(string(raw))
	}
	return jwtSubject(string(raw))
}

// jwtSubject returns the sub claim of a JWT, unchecked.
func jwtSubject(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Sub == "" {
		return "", false
	}
	return claims.Sub, true
}

func (f *fakeAkeyless) getSecretValue(w http.ResponseWriter, body map[string]any) {
	names, _ := body["names"].([]any)
	if len(names) == 0 {
		akeylessError(w, http.StatusBadRequest, "names: required")
		return
	}
	ignore, _ := body["ignore-cache"].(string)
	f.ignoreCache = append(f.ignoreCache, ignore)
	version, _ := body["version"].(float64)
	out := map[string]string{}
	for _, n := range names {
		name, _ := n.(string)
		it := f.items[name]
		if it == nil || it.typ != typeStatic {
			akeylessError(w, http.StatusNotFound, "Item "+name+" not found")
			return
		}
		v := len(it.versions)
		if version > 0 {
			v = int(version)
		}
		if v > len(it.versions) {
			akeylessError(w, http.StatusNotFound, "Item "+name+" version not found")
			return
		}
		out[name] = it.versions[v-1]
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeAkeyless) object(w http.ResponseWriter, name string) {
	it := f.items[name]
	if it == nil || it.object == nil {
		akeylessError(w, http.StatusNotFound, "Item "+name+" not found")
		return
	}
	_ = json.NewEncoder(w).Encode(it.object)
}

func (f *fakeAkeyless) listItems(w http.ResponseWriter, body map[string]any) {
	filter, _ := body["filter"].(string)
	tag, _ := body["tag"].(string)
	types, _ := body["type"].([]any)
	minimal, _ := body["minimal-view"].(bool)
	var names []string
	for name, it := range f.items {
		want := strings.ToLower(strings.ReplaceAll(it.typ, "_", "-"))
		if !slices.ContainsFunc(types, func(t any) bool { return t == want }) {
			continue
		}
		if !strings.Contains(name, filter) || (tag != "" && !slices.Contains(it.tags, tag)) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	start := 0
	if tok, _ := body["pagination-token"].(string); tok != "" {
		for i, n := range names {
			if n == tok {
				start = i
			}
		}
	}
	end := min(start+f.pageSize, len(names))
	items := []map[string]any{}
	for _, n := range names[start:end] {
		item := map[string]any{"item_name": n, "item_type": f.items[n].typ}
		if !minimal {
			item["item_tags"] = f.items[n].tags
		}
		items = append(items, item)
	}
	out := map[string]any{"items": items}
	if end < len(names) {
		out["next_page"] = names[end]
	}
	_ = json.NewEncoder(w).Encode(out)
}

// write serves create-secret (name, value, tags), update-secret-val (name, value: a new
// version of a static secret) and delete-item (name), each answering {"name": ...}.
func (f *fakeAkeyless) write(w http.ResponseWriter, command string, body map[string]any) {
	name, _ := body["name"].(string)
	value, hasValue := body["value"].(string)
	it := f.items[name]
	switch {
	case name == "" || (command != "delete-item" && !hasValue):
		akeylessError(w, http.StatusBadRequest, "name and value are required")
		return
	case command == "create-secret" && it != nil:
		akeylessError(w, http.StatusConflict, "Item "+name+" already exists")
		return
	case command != "create-secret" && it == nil:
		akeylessError(w, http.StatusNotFound, "Item "+name+" not found")
		return
	case command == "update-secret-val" && it.typ != typeStatic:
		akeylessError(w, http.StatusBadRequest, "Item "+name+" is not a static secret")
		return
	}
	switch command {
	case "create-secret":
		var tags []string
		raw, _ := body["tags"].([]any)
		for _, t := range raw {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
		f.items[name] = &fakeItem{typ: typeStatic, versions: []string{value}, tags: tags}
	case "update-secret-val":
		it.versions = append(it.versions, value)
	case "delete-item":
		delete(f.items, name)
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"name": name})
}

// versions returns the versions of a static secret, oldest first.
func (f *fakeAkeyless) versions(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it := f.items[name]; it != nil {
		return append([]string(nil), it.versions...)
	}
	return nil
}
