package oracle

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOCI is an in-process Oracle Cloud Infrastructure, written from OCI's public API
// reference: three services, each on its own server as each has its own host in a region,
// that verify OCI's HTTP signature (version 1, rsa-sha256, with the signed headers OCI
// requires and a Date within five minutes) against the public key of the keyId, and answer
// with OCI's JSON models and {"code", "message"} error bodies:
//   - Secrets: GET /20190301/secretbundles/actions/getByName?secretName=&vaultId=
//     [&stage=|&versionNumber=];
//   - Vault: GET /20180608/secrets?compartmentId=&vaultId=[&limit=&page=], paged with
//     opc-next-page;
//   - Key Management: GET /20180608/vaults/{vaultId};
//   - Auth: POST /v1/x509, the X.509 federation that issues an instance's security token
//     (see instance_test.go), beside an instance metadata service (v2).
//
// A keyId "ST$<token>" is a security token the auth server issued, accepted with the
// session key it was issued for until its exp.
//
// No OCI runs on the build machine, so it stands in for the real service.
type fakeOCI struct {
	servers map[string]*httptest.Server

	mu sync.Mutex
	// keys are the API keys the server knows, by keyId (tenancy/user/fingerprint).
	keys        map[string]*rsa.PublicKey
	vault       string
	compartment string
	secrets     map[string]*fakeSecret
	// pageSize is how many summaries ListSecrets answers at most per page.
	pageSize int
	// calls counts the requests that passed authentication, by operation: "bundle",
	// "list", "vault"; refused counts those refused with 401.
	calls   map[string]int
	refused int
	now     func() time.Time
	// instance is the compute instance whose identity the metadata service serves; tokens
	// are the security tokens issued, with their expiry; tokenTTL is their lifetime.
	instance *fakeInstance
	tokens   map[string]time.Time
	tokenTTL time.Duration
}

type fakeSecret struct {
	id       string
	versions [][]byte
	tags     map[string]string
	// pendingDeletion marks a secret scheduled for deletion.
	pendingDeletion bool
}

const (
	fakeKey         = "ocid1.key.oc1.iad.fakekey"
	fakeVault       = "ocid1.vault.oc1.iad.fakevault"
	fakeCompartment = "ocid1.compartment.oc1..fakecompartment"
)

func startOCI(t *testing.T) *fakeOCI {
	t.Helper()
	f := &fakeOCI{servers: map[string]*httptest.Server{}, keys: map[string]*rsa.PublicKey{}, vault: fakeVault,
		compartment: fakeCompartment, secrets: map[string]*fakeSecret{}, pageSize: 2, calls: map[string]int{}, now: time.Now,
		tokens: map[string]time.Time{}, tokenTTL: 20 * time.Minute}
	routes := map[string]func(w http.ResponseWriter, r *http.Request){
		secretsService: f.getByName, vaultsService: f.vaultService, kmsService: f.getVault, authService: f.federateX509,
	}
	for service, route := range routes {
		srv := httptest.NewServer(f.authenticated(route))
		t.Cleanup(srv.Close)
		f.servers[service] = srv
	}
	f.instance = newFakeInstance(t)
	f.keys[f.instance.keyID()] = &f.instance.key.PublicKey
	metadata := httptest.NewServer(http.HandlerFunc(f.metadata))
	t.Cleanup(metadata.Close)
	f.servers[metadataService] = metadata
	return f
}

// endpoint is the Provider's endpoint function for this server.
func (f *fakeOCI) endpoint(service, _ string) string { return f.servers[service].URL }

func (f *fakeOCI) addKey(keyID string, key *rsa.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[keyID] = key
}

// put writes a new version of the secret name, creating it with tags; it returns the
// version number.
func (f *fakeOCI) put(name string, value []byte, tags map[string]string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[name]
	if !ok {
		s = &fakeSecret{id: "ocid1.vaultsecret.oc1.iad." + strconv.Itoa(len(f.secrets)+1), tags: tags}
		f.secrets[name] = s
	}
	s.versions = append(s.versions, bytes.Clone(value))
	return len(s.versions)
}

func (f *fakeOCI) remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, name)
}

func (f *fakeOCI) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeOCI) refusals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// ociError writes OCI's error body.
func ociError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("opc-request-id", "fake-request")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": message})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("opc-request-id", "fake-request")
	_ = json.NewEncoder(w).Encode(v)
}

var signatureParam = regexp.MustCompile(`([a-zA-Z]+)="([^"]*)"`)

// authenticated refuses with 401 NotAuthenticated any request whose signature OCI would
// refuse, and passes the others on.
func (f *fakeOCI) authenticated(next func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := f.verify(r); reason != "" {
			f.mu.Lock()
			f.refused++
			f.mu.Unlock()
			ociError(w, http.StatusUnauthorized, "NotAuthenticated", "The required information to complete authentication was not provided or was incorrect. ("+reason+")")
			return
		}
		next(w, r)
	})
}

// verify returns why the request's signature is refused, or "".
func (f *fakeOCI) verify(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Signature ") {
		return "no signature"
	}
	params := map[string]string{}
	for _, m := range signatureParam.FindAllStringSubmatch(auth, -1) {
		params[m[1]] = m[2]
	}
	if params["version"] != "1" || params["algorithm"] != "rsa-sha256" {
		return "unsupported signature version or algorithm"
	}
	f.mu.Lock()
	key, now := f.keys[params["keyId"]], f.now()
	f.mu.Unlock()
	if key == nil {
		return "unknown keyId"
	}
	if token, ok := strings.CutPrefix(params["keyId"], "ST$"); ok {
		f.mu.Lock()
		expires := f.tokens[token]
		f.mu.Unlock()
		if !now.Before(expires) {
			return "the security token has expired"
		}
	}
	names := strings.Fields(params["headers"])
	required := []string{"(request-target)", "host", "date"}
	if r.URL.Path == "/v1/x509" {
		// The auth service's federation does not require host to be signed; the OCI SDK
		// leaves it out there.
		required = []string{"(request-target)", "date"}
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		required = append(required, "x-content-sha256", "content-type", "content-length")
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		if r.Header.Get("X-Content-Sha256") != base64.StdEncoding.EncodeToString(sum[:]) ||
			r.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			return "the body does not match x-content-sha256 or content-length"
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	for _, name := range required {
		if !slices.Contains(names, name) {
			return "header " + name + " is not signed"
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || date.Sub(now).Abs() > 5*time.Minute {
		return "the date is missing or more than five minutes off"
	}
	lines := make([]string, len(names))
	for i, name := range names {
		switch name {
		case "(request-target)":
			lines[i] = name + ": " + strings.ToLower(r.Method) + " " + r.URL.RequestURI()
		case "host":
			lines[i] = name + ": " + r.Host
		default:
			lines[i] = name + ": " + r.Header.Get(name)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return "the signature is not base64"
	}
	digest := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
		return "the signature does not verify"
	}
	return ""
}

func notFound(w http.ResponseWriter) {
	ociError(w, http.StatusNotFound, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
}

func (f *fakeOCI) getByName(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/20190301/secretbundles/actions/getByName" {
		notFound(w)
		return
	}
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["bundle"]++
	if q.Get("secretName") == "" || q.Get("vaultId") == "" {
		ociError(w, http.StatusBadRequest, "MissingParameter", "secretName and vaultId are required.")
		return
	}
	s, ok := f.secrets[q.Get("secretName")]
	if !ok || q.Get("vaultId") != f.vault {
		notFound(w)
		return
	}
	latest := len(s.versions)
	number := latest
	switch stage := q.Get("stage"); {
	case q.Get("versionNumber") != "":
		n, err := strconv.Atoi(q.Get("versionNumber"))
		if err != nil {
			ociError(w, http.StatusBadRequest, "InvalidParameter", "versionNumber must be a number.")
			return
		}
		number = n
	case stage == "" || stage == "CURRENT" || stage == "LATEST":
	case stage == "PREVIOUS":
		number = latest - 1
	case stage == "PENDING" || stage == "DEPRECATED":
		number = 0
	default:
		ociError(w, http.StatusBadRequest, "InvalidParameter", "stage must be one of CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED.")
		return
	}
	if number < 1 || number > latest {
		notFound(w)
		return
	}
	stages := []string{}
	switch number {
	case latest:
		stages = []string{"CURRENT", "LATEST"}
	case latest - 1:
		stages = []string{"PREVIOUS"}
	}
	writeJSON(w, map[string]any{
		"secretId": s.id, "versionNumber": number, "stages": stages, "timeCreated": "2026-01-01T00:00:00.000Z",
		"secretBundleContent": map[string]string{"contentType": "BASE64", "content": base64.StdEncoding.EncodeToString(s.versions[number-1])},
	})
}

// vaultService routes the Vault service's calls: ListSecrets, CreateSecret, UpdateSecret
// and ScheduleSecretDeletion.
func (f *fakeOCI) vaultService(w http.ResponseWriter, r *http.Request) {
	rest, isSecret := strings.CutPrefix(r.URL.Path, "/20180608/secrets/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/20180608/secrets":
		f.listSecrets(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/20180608/secrets":
		f.createSecret(w, r)
	case r.Method == http.MethodPut && isSecret && !strings.Contains(rest, "/"):
		f.updateSecret(w, r, rest)
	case r.Method == http.MethodPost && isSecret && strings.HasSuffix(rest, "/actions/scheduleDeletion"):
		f.scheduleDeletion(w, strings.TrimSuffix(rest, "/actions/scheduleDeletion"))
	default:
		notFound(w)
	}
}

// secretContent is the secretContent of CreateSecret and UpdateSecret.
type secretContent struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

func (c secretContent) decode() ([]byte, bool) {
	v, err := base64.StdEncoding.DecodeString(c.Content)
	return v, c.ContentType == "BASE64" && err == nil
}

func (f *fakeOCI) createSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CompartmentID string            `json:"compartmentId"`
		VaultID       string            `json:"vaultId"`
		KeyID         string            `json:"keyId"`
		SecretName    string            `json:"secretName"`
		SecretContent secretContent     `json:"secretContent"`
		FreeformTags  map[string]string `json:"freeformTags"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.CompartmentID == "" || req.VaultID == "" || req.KeyID == "" || req.SecretName == "" {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "compartmentId, vaultId, keyId and secretName are required.")
		return
	}
	value, ok := req.SecretContent.decode()
	if !ok {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "secretContent must be BASE64 content.")
		return
	}
	f.mu.Lock()
	f.calls["create"]++
	_, taken := f.secrets[req.SecretName]
	f.mu.Unlock()
	switch {
	case req.CompartmentID != f.compartment || req.VaultID != f.vault || req.KeyID != fakeKey:
		notFound(w)
	case taken:
		ociError(w, http.StatusConflict, "Conflict", "A secret with this name already exists in the vault.")
	default:
		f.put(req.SecretName, value, req.FreeformTags)
		writeJSON(w, map[string]any{"secretName": req.SecretName, "lifecycleState": "CREATING"})
	}
}

// byID returns the secret with this OCID; f.mu is held.
func (f *fakeOCI) byID(id string) *fakeSecret {
	for _, s := range f.secrets {
		if s.id == id {
			return s
		}
	}
	return nil
}

func (f *fakeOCI) updateSecret(w http.ResponseWriter, r *http.Request, id string) {
	var req struct {
		SecretContent secretContent `json:"secretContent"`
	}
	value, ok := []byte(nil), false
	if json.NewDecoder(r.Body).Decode(&req) == nil {
		value, ok = req.SecretContent.decode()
	}
	if !ok {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "secretContent must be BASE64 content.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["update"]++
	s := f.byID(id)
	switch {
	case s == nil:
		notFound(w)
	case s.pendingDeletion:
		ociError(w, http.StatusConflict, "IncorrectState", "The secret is pending deletion.")
	default:
		s.versions = append(s.versions, value)
		writeJSON(w, map[string]any{"id": id, "lifecycleState": "UPDATING"})
	}
}

func (f *fakeOCI) scheduleDeletion(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["delete"]++
	s := f.byID(id)
	if s == nil {
		notFound(w)
		return
	}
	s.pendingDeletion = true
	w.Header().Set("opc-request-id", "fake-request")
	w.WriteHeader(http.StatusOK)
}

func (f *fakeOCI) listSecrets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["list"]++
	if q.Get("compartmentId") == "" {
		ociError(w, http.StatusBadRequest, "MissingParameter", "compartmentId is required.")
		return
	}
	var names []string
	if q.Get("compartmentId") == f.compartment && (q.Get("vaultId") == "" || q.Get("vaultId") == f.vault) {
		for name := range f.secrets {
			if q.Get("name") == "" || q.Get("name") == name {
				names = append(names, name)
			}
		}
	}
	// OCI sorts by timeCreated by default; any stable order will do for a client.
	slices.Sort(names)
	start := 0
	if page := q.Get("page"); page != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(page, "page-"))
		if err != nil || n < 0 || n > len(names) {
			ociError(w, http.StatusBadRequest, "InvalidParameter", "Invalid page token.")
			return
		}
		start = n
	}
	end := min(start+f.pageSize, len(names))
	items := []map[string]any{}
	for _, name := range names[start:end] {
		s := f.secrets[name]
		item := map[string]any{"id": s.id, "secretName": name, "compartmentId": f.compartment, "vaultId": f.vault,
			"lifecycleState": "ACTIVE", "freeformTags": s.tags, "timeCreated": "2026-01-01T00:00:00.000Z"}
		if s.pendingDeletion {
			item["lifecycleState"], item["timeOfDeletion"] = "PENDING_DELETION", "2026-02-01T00:00:00.000Z"
		}
		items = append(items, item)
	}
	if end < len(names) {
		w.Header().Set("opc-next-page", "page-"+strconv.Itoa(end))
	}
	writeJSON(w, items)
}

func (f *fakeOCI) getVault(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls["vault"]++
	vault := f.vault
	f.mu.Unlock()
	if r.Method != http.MethodGet || r.URL.Path != "/20180608/vaults/"+vault {
		notFound(w)
		return
	}
	writeJSON(w, map[string]any{"id": vault, "displayName": "fake", "lifecycleState": "ACTIVE", "vaultType": "DEFAULT"})
}
