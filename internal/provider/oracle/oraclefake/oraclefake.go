package oraclefake

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
	"github.com/ferryhq/ferry/internal/provider/oracle/ocicert"
)

// Server is a running stand-in: one vault (Vault) in one compartment (Compartment),
// empty until Put.
type Server struct {
	// Servers are the services, by name: SecretsService, VaultsService, KMSService,
	// AuthService, MetadataService.
	Servers map[string]*fakehttp.Server

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

// The OCIDs of the one vault, its compartment and its encryption key.
const (
	Key         = "ocid1.key.oc1.iad.fakekey"
	Vault       = "ocid1.vault.oc1.iad.fakevault"
	Compartment = "ocid1.compartment.oc1..fakecompartment"
)

// The services' names, as the provider's endpoint function asks for them.
const (
	SecretsService  = "secrets"
	VaultsService   = "vaults"
	KMSService      = "kms"
	AuthService     = "auth"
	MetadataService = "imds"
)

// Start serves the services on free loopback ports (Servers, by service name); Close stops
// them. The instance's certificate key is known to it; API keys are added with AddKey.
func Start() (*Server, error) {
	f := &Server{Servers: map[string]*fakehttp.Server{}, keys: map[string]*rsa.PublicKey{}, vault: Vault,
		compartment: Compartment, secrets: map[string]*fakeSecret{}, pageSize: 2, calls: map[string]int{}, now: time.Now,
		tokens: map[string]time.Time{}, tokenTTL: 20 * time.Minute}
	inst, err := newFakeInstance()
	if err != nil {
		return nil, err
	}
	f.instance = inst
	f.keys[f.instance.keyID()] = &f.instance.key.PublicKey
	handlers := map[string]http.Handler{
		SecretsService: f.authenticated(f.getByName), VaultsService: f.authenticated(f.vaultService),
		KMSService: f.authenticated(f.getVault), AuthService: f.authenticated(f.federateX509),
		MetadataService: http.HandlerFunc(f.metadata),
	}
	for service, h := range handlers {
		srv, err := fakehttp.Start(h)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Servers[service] = srv
	}
	return f, nil
}

// Close stops every service.
func (f *Server) Close() {
	for _, srv := range f.Servers {
		srv.Close()
	}
}

// Endpoint is the provider's endpoint function for this server: the URL of service, in
// any region.
func (f *Server) Endpoint(service, _ string) string { return f.Servers[service].URL }

// AddKey makes the server accept signatures of key as keyID (tenancy/user/fingerprint).
func (f *Server) AddKey(keyID string, key *rsa.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[keyID] = key
}

// Put writes a new version of the secret name, creating it with tags; it returns the
// version number.
func (f *Server) Put(name string, value []byte, tags map[string]string) int {
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

// Remove deletes the secret name.
func (f *Server) Remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, name)
}

// Count is the number of authenticated requests of an operation: "bundle", "list",
// "vault", "create", "update", "delete", "x509", "imds", "proxymux".
func (f *Server) Count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Refusals is the number of requests refused with 401.
func (f *Server) Refusals() int {
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
func (f *Server) authenticated(next func(w http.ResponseWriter, r *http.Request)) http.Handler {
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
func (f *Server) verify(r *http.Request) string {
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

func (f *Server) getByName(w http.ResponseWriter, r *http.Request) {
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
func (f *Server) vaultService(w http.ResponseWriter, r *http.Request) {
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

func (f *Server) createSecret(w http.ResponseWriter, r *http.Request) {
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
	case req.CompartmentID != f.compartment || req.VaultID != f.vault || req.KeyID != Key:
		notFound(w)
	case taken:
		ociError(w, http.StatusConflict, "Conflict", "A secret with this name already exists in the vault.")
	default:
		f.Put(req.SecretName, value, req.FreeformTags)
		writeJSON(w, map[string]any{"secretName": req.SecretName, "lifecycleState": "CREATING"})
	}
}

// byID returns the secret with this OCID; f.mu is held.
func (f *Server) byID(id string) *fakeSecret {
	for _, s := range f.secrets {
		if s.id == id {
			return s
		}
	}
	return nil
}

func (f *Server) updateSecret(w http.ResponseWriter, r *http.Request, id string) {
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

func (f *Server) scheduleDeletion(w http.ResponseWriter, id string) {
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

func (f *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
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

func (f *Server) getVault(w http.ResponseWriter, r *http.Request) {
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

// InstanceTenancy is the tenancy of the instance the metadata service serves.
const InstanceTenancy = "ocid1.tenancy.oc1..instancetenancy"

// fakeInstance is a compute instance's identity as OCI issues it: a leaf certificate whose
// subject names the instance and its tenancy (opc-instance:, opc-tenant:), signed by an
// intermediate CA, and the leaf's key.
type fakeInstance struct {
	leaf, intermediate *x509.Certificate
	key                *rsa.PrivateKey
	// region is what the metadata service answers for instance/region.
	region string
}

var (
	instanceOnce sync.Once
	instanceKeys [2]*rsa.PrivateKey
)

func newFakeInstance() (*fakeInstance, error) {
	instanceOnce.Do(func() {
		for i := range instanceKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			instanceKeys[i] = k
		}
	})
	caKey, leafKey := instanceKeys[0], instanceKeys[1]
	now := time.Now()
	caTemplate := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "PKISVC Identity Intermediate r2"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafTemplate := &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "ocid1.instance.oc1.iad.fakeinstance",
			OrganizationalUnit: []string{"opc-certtype:instance", "opc-compartment:" + Compartment, "opc-instance:ocid1.instance.oc1.iad.fakeinstance", "opc-tenant:" + InstanceTenancy}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return &fakeInstance{leaf: leaf, intermediate: ca, key: leafKey, region: "us-ashburn-1"}, nil
}

// keyID is the keyId OCI expects on the instance's federation request.
func (i *fakeInstance) keyID() string {
	return InstanceTenancy + "/fed-x509-sha256/" + ocicert.Fingerprint(i.leaf)
}

// metadata serves the instance metadata service, version 2: it answers only requests
// carrying "Authorization: Bearer Oracle", as OCI's does, with 401 otherwise.
func (f *Server) metadata(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls["imds"]++
	inst := f.instance
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer Oracle" {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	certPEM := func(c *x509.Certificate) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	switch r.URL.Path {
	case "/opc/v2/instance/region":
		fmt.Fprint(w, inst.region)
	case "/opc/v2/instance/canonicalRegionName":
		fmt.Fprint(w, "us-ashburn-1")
	case "/opc/v2/identity/cert.pem":
		fmt.Fprint(w, certPEM(inst.leaf))
	case "/opc/v2/identity/intermediate.pem":
		fmt.Fprint(w, certPEM(inst.intermediate))
	case "/opc/v2/identity/key.pem":
		_, _ = w.Write(pkcs1PEM(inst.key))
	default:
		http.NotFound(w, r)
	}
}

// federateX509 is the auth service's POST /v1/x509. Its caller has passed the signature
// check with the key of its keyId; it also checks what OCI checks of the request: the keyId
// is the fed-x509-sha256 one of the certificate sent, the certificate was issued by the
// intermediate sent and that intermediate is the one OCI issued. It answers {"token"}, a
// JWT whose keyId "ST$<token>" then signs with the session key sent.
func (f *Server) federateX509(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/x509" {
		notFound(w)
		return
	}
	var req struct {
		Certificate              string   `json:"certificate"`
		PublicKey                string   `json:"publicKey"`
		IntermediateCertificates []string `json:"intermediateCertificates"`
		FingerprintAlgorithm     string   `json:"fingerprintAlgorithm"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "The request body is not JSON.")
		return
	}
	der := func(b64 string) *x509.Certificate {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil
		}
		c, _ := x509.ParseCertificate(raw)
		return c
	}
	f.mu.Lock()
	f.calls["x509"]++
	inst, now, ttl := f.instance, f.now(), f.tokenTTL
	f.mu.Unlock()
	refuse := func(why string) {
		ociError(w, http.StatusUnauthorized, "NotAuthenticated", "Failed to authenticate the instance. ("+why+")")
	}
	leaf := der(req.Certificate)
	keyID := signatureParam.FindAllStringSubmatch(r.Header.Get("Authorization"), -1)
	var signedAs string
	for _, m := range keyID {
		if m[1] == "keyId" {
			signedAs = m[2]
		}
	}
	switch {
	case leaf == nil:
		ociError(w, http.StatusBadRequest, "InvalidParameter", "certificate is not a base64 DER certificate.")
		return
	case req.FingerprintAlgorithm != "SHA256":
		refuse("fingerprintAlgorithm must be SHA256 for a fed-x509-sha256 keyId")
		return
	case signedAs != ocicert.Tenancy(leaf)+"/fed-x509-sha256/"+ocicert.Fingerprint(leaf):
		refuse("the keyId is not the certificate's")
		return
	case len(req.IntermediateCertificates) != 1 || der(req.IntermediateCertificates[0]) == nil ||
		!der(req.IntermediateCertificates[0]).Equal(inst.intermediate) || leaf.CheckSignatureFrom(inst.intermediate) != nil:
		refuse("the certificate does not chain to OCI's intermediate")
		return
	}
	rawKey, err := base64.StdEncoding.DecodeString(req.PublicKey)
	var session *rsa.PublicKey
	if err == nil {
		k, _ := x509.ParsePKIXPublicKey(rawKey)
		session, _ = k.(*rsa.PublicKey)
	}
	if session == nil {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "publicKey is not a base64 PKIX RSA public key.")
		return
	}
	token := f.IssueToken(session, now, ttl, map[string]any{"sub": leaf.Subject.CommonName, "tenant": ocicert.Tenancy(leaf), "ptype": "instance"})
	writeJSON(w, map[string]string{"token": token})
}

// IssueToken mints a security token (a JWT with iat and exp) that OCI then accepts, as
// keyId "ST$<token>", with the session key until its exp.
func (f *Server) IssueToken(session *rsa.PublicKey, now time.Time, ttl time.Duration, claims map[string]any) string {
	exp := now.Add(ttl).Truncate(time.Second)
	claims["iat"], claims["exp"] = now.Truncate(time.Second).Unix(), exp.Unix()
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims)
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	token := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + "." + enc(nonce)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys["ST$"+token] = session
	f.tokens[token] = exp
	return token
}

// Proxymux serves OKE's workload identity endpoint, as the OCI SDK's client describes it:
// POST /resourcePrincipalSessionTokens with a ServiceAccount token as bearer (accept says
// whether the cluster would accept it; 401 otherwise) and {"podKey": <PEM public key>};
// it answers a JSON string of base64 of {"token": "ST$<jwt>"}, a token then accepted with
// that key until its exp.
func (f *Server) Proxymux(accept func(saToken string) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls["proxymux"]++
		now, ttl := f.now(), f.tokenTTL
		f.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/resourcePrincipalSessionTokens" {
			http.NotFound(w, r)
			return
		}
		saToken, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !accept(saToken) {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		var req struct {
			PodKey string `json:"podKey"`
		}
		var session *rsa.PublicKey
		if r.Header.Get("Content-Type") == "application/json" && json.NewDecoder(r.Body).Decode(&req) == nil {
			if block, _ := pem.Decode([]byte(req.PodKey)); block != nil && block.Type == "PUBLIC KEY" {
				k, _ := x509.ParsePKIXPublicKey(block.Bytes)
				session, _ = k.(*rsa.PublicKey)
			}
		}
		if session == nil {
			http.Error(w, "podKey is not a PEM public key", http.StatusBadRequest)
			return
		}
		jwt := f.IssueToken(session, now, ttl, map[string]any{"sub": "workload", "res_tenant": InstanceTenancy, "ptype": "workload"})
		inner, _ := json.Marshal(map[string]string{"token": "ST$" + jwt})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(base64.StdEncoding.EncodeToString(inner))
	}
}

// SetClock makes now the server's clock, for signature dates and token lifetimes.
func (f *Server) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Tokens is the security tokens issued, with their expiry.
func (f *Server) Tokens() map[string]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.tokens)
}

// DropTokens forgets every security token issued, as a revocation would.
func (f *Server) DropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// Instance is the compute instance the metadata service serves: its certificate, the
// intermediate CA that issued it, and the keyId its federation requests are signed as.
func (f *Server) Instance() (leaf, intermediate *x509.Certificate, keyID string) {
	return f.instance.leaf, f.instance.intermediate, f.instance.keyID()
}

// SetInstanceRegion sets what the metadata service answers for instance/region.
func (f *Server) SetInstanceRegion(region string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instance.region = region
}

// Secret is a copy of one secret the vault holds.
type Secret struct {
	ID              string
	Versions        [][]byte
	Tags            map[string]string
	PendingDeletion bool
}

// Secret returns a copy of the secret name, and whether it exists.
func (f *Server) Secret(name string) (Secret, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[name]
	if !ok {
		return Secret{}, false
	}
	return Secret{ID: s.id, Versions: slices.Clone(s.versions), Tags: maps.Clone(s.tags), PendingDeletion: s.pendingDeletion}, true
}

// MarkPendingDeletion schedules the secret name for deletion, as OCI's console would.
func (f *Server) MarkPendingDeletion(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[name].pendingDeletion = true
}

// pkcs1PEM is the key in PKCS#1 PEM, as the metadata service serves the instance's key.
func pkcs1PEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}
