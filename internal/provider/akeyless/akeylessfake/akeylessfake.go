package akeylessfake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Server is a running stand-in; its items are empty until PutStatic or PutObject.
type Server struct {
	*fakehttp.Server

	// The configuration below is set before the first request and not changed after.

	// AccessID and AccessKey are the access_key auth method.
	AccessID, AccessKey string
	// K8sAccessID and K8sConf are the Kubernetes auth method; K8sSubject, when set, is the
	// subject its ServiceAccount tokens must carry.
	K8sAccessID, K8sConf, K8sSubject string
	// ReviewK8s returns the subject of a ServiceAccount token the way the gateway's
	// Kubernetes auth config learns it (a TokenReview); nil reads the sub claim unchecked,
	// for tests without a control plane.
	ReviewK8s func(token string) (string, bool)
	// The cloud auth methods: the AWS IAM method's access id and the IAM identity (access
	// key id) it is bound to, with the secret keys STS knows; the Azure AD method bound to
	// a managed identity's object id; the GCP method bound to a service account.
	AWSAccessID, AWSBoundKeyID string
	AWSSecrets                 map[string]string
	// STSEndpoint, when set, is a real STS (moto) the aws_iam request is sent to, as
	// Akeyless sends it to AWS; the caller's ARN must then start with AWSBoundARN.
	STSEndpoint, AWSBoundARN   string
	AzureAccessID, AzureObject string
	GCPAccessID, GCPAccount    string
	// EntraApp, when set, returns the Entra ID application an access token was issued to
	// (Azure Workload Identity), and AzureApp is the application the Azure AD method is
	// bound to.
	EntraApp func(token string) (string, bool)
	AzureApp string
	// PageSize splits /list-items answers into pages.
	PageSize int

	mu sync.Mutex
	// azureTokens and gcpTokens are the tokens the metadata services issued, with the
	// object id or (email, audience) they were issued for: what Azure AD and Google would
	// verify.
	azureTokens map[string]string
	gcpTokens   map[string][2]string
	items       map[string]*fakeItem
	tokens      map[string]time.Time
	calls       map[string]int
	// tokenLife is the life of the tokens /auth issues; expiration is announced with them.
	tokenLife time.Duration
	// ignoreCache records the ignore-cache flags /get-secret-value was sent.
	ignoreCache []string
}

type fakeItem struct {
	typ      string
	versions []string       // static secrets: version i+1 is versions[i]
	object   map[string]any // dynamic, rotated and certificate answers
	tags     []string
}

// Start serves a stand-in on a free loopback port, with an access_key method p-apikey1,
// a k8s method p-k8s1 (config ferry-k8s) and the cloud methods p-aws1, p-azure1 and
// p-gcp1; Close stops it.
func Start() (*Server, error) {
	f := &Server{AccessID: "p-apikey1", AccessKey: "access-key-1", K8sAccessID: "p-k8s1", K8sConf: "ferry-k8s",
		AWSAccessID: "p-aws1", AWSBoundKeyID: "AKIAFERRYTEST", AWSSecrets: map[string]string{"AKIAFERRYTEST": "secret-of-the-key", "AKIAOTHER": "other-secret"},
		AzureAccessID: "p-azure1", AzureObject: "obj-ferry", GCPAccessID: "p-gcp1", GCPAccount: "ferry@proj.iam.gserviceaccount.com",
		azureTokens: map[string]string{}, gcpTokens: map[string][2]string{},
		items: map[string]*fakeItem{}, tokens: map[string]time.Time{}, calls: map[string]int{}, tokenLife: time.Hour, PageSize: 1000}
	srv, err := fakehttp.Start(f)
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// The item types, as /describe-item answers them.
const (
	TypeStatic      = "STATIC_SECRET"
	TypeDynamic     = "DYNAMIC_SECRET"
	TypeRotated     = "ROTATED_SECRET"
	TypeCertificate = "CERTIFICATE"
)

// gcpAudience is the audience Akeyless's GCP auth method accepts by default.
const gcpAudience = "akeyless.io"

// IgnoreCache is the ignore-cache flags /get-secret-value was sent, in order.
func (f *Server) IgnoreCache() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ignoreCache...)
}

// Tags is the tags of the item name.
func (f *Server) Tags(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it := f.items[name]; it != nil {
		return it.tags
	}
	return nil
}

// PutStatic writes a new version of a static secret and returns its number.
func (f *Server) PutStatic(name, value string, tags ...string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	it := f.items[name]
	if it == nil || it.typ != TypeStatic {
		it = &fakeItem{typ: TypeStatic}
		f.items[name] = it
	}
	it.versions = append(it.versions, value)
	it.tags = tags
	return len(it.versions)
}

// PutObject stores a dynamic, rotated or certificate item (typ) answered with object.
func (f *Server) PutObject(name, typ string, object map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[name] = &fakeItem{typ: typ, object: object}
}

// Remove deletes the item name.
func (f *Server) Remove(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.items, name)
}

// Count is the number of requests of a command ("auth", "list-items", ...; "auth ok" for
// tokens issued, "unknown" for paths that are no command).
func (f *Server) Count(command string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[command]
}

// Logins counts the tokens /auth issued.
func (f *Server) Logins() int { return f.Count("auth ok") }

// DropTokens forgets every token issued.
func (f *Server) DropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

// WriteError writes an Akeyless error body, {"error": msg}, with status.
func WriteError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// knownCommands are the commands the server speaks.
var knownCommands = map[string]bool{"auth": true, "describe-item": true, "get-secret-value": true, "get-dynamic-secret-value": true,
	"get-certificate-value": true, "get-rotated-secret-value": true, "list-items": true,
	"create-secret": true, "update-secret-val": true, "delete-item": true}

// ServeHTTP answers one API command.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	command := strings.TrimPrefix(r.URL.Path, "/")
	if r.Method != http.MethodPost {
		WriteError(w, http.StatusMethodNotAllowed, "commands are POSTed")
		return
	}
	// The API root and any other path are not commands: "unknown command", whatever the
	// body (ESO's provider tells a v2 API from a gateway's root by this answer).
	if !knownCommands[command] {
		f.mu.Lock()
		f.calls["unknown"]++
		f.mu.Unlock()
		WriteError(w, http.StatusNotFound, "unknown command "+command)
		return
	}
	var body map[string]any
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&body) != nil {
		WriteError(w, http.StatusBadRequest, "failed to parse the request body")
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
		WriteError(w, http.StatusUnauthorized, "Unauthorized: the token is invalid or expired")
		return
	}
	switch command {
	case "describe-item":
		name, _ := body["name"].(string)
		it := f.items[name]
		if it == nil {
			WriteError(w, http.StatusNotFound, "Item "+name+" not found")
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

func (f *Server) auth(w http.ResponseWriter, body map[string]any) {
	str := func(k string) string { s, _ := body[k].(string); return s }
	switch str("access-type") {
	case "access_key", "": // /auth's default; "api_key" is ESO's name for it, not an access type of /auth
		if str("access-id") != f.AccessID || str("access-key") != f.AccessKey {
			WriteError(w, http.StatusUnauthorized, "failed to authenticate: access denied for access id "+str("access-id"))
			return
		}
	case "k8s":
		if str("access-id") != f.K8sAccessID || str("k8s-auth-config-name") != f.K8sConf {
			WriteError(w, http.StatusUnauthorized, "failed to authenticate: unknown k8s auth config "+str("k8s-auth-config-name"))
			return
		}
		if sub, ok := f.k8sTokenSubject(str("k8s-service-account-token")); !ok || (f.K8sSubject != "" && sub != f.K8sSubject) {
			WriteError(w, http.StatusUnauthorized, "failed to authenticate: the k8s service account token was not accepted")
			return
		}
	case "aws_iam", "azure_ad", "gcp":
		if reason := f.cloudIdentity(str("access-type"), str("access-id"), str("cloud-id")); reason != "" {
			WriteError(w, http.StatusUnauthorized, "failed to authenticate: "+reason)
			return
		}
	default:
		WriteError(w, http.StatusBadRequest, "unsupported access type "+str("access-type"))
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
func (f *Server) k8sTokenSubject(b64 string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", false
	}
	if f.ReviewK8s != nil {
		return f.ReviewK8s(string(raw))
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

func (f *Server) getSecretValue(w http.ResponseWriter, body map[string]any) {
	names, _ := body["names"].([]any)
	if len(names) == 0 {
		WriteError(w, http.StatusBadRequest, "names: required")
		return
	}
	ignore, _ := body["ignore-cache"].(string)
	f.ignoreCache = append(f.ignoreCache, ignore)
	version, _ := body["version"].(float64)
	out := map[string]string{}
	for _, n := range names {
		name, _ := n.(string)
		it := f.items[name]
		if it == nil || it.typ != TypeStatic {
			WriteError(w, http.StatusNotFound, "Item "+name+" not found")
			return
		}
		v := len(it.versions)
		if version > 0 {
			v = int(version)
		}
		if v > len(it.versions) {
			WriteError(w, http.StatusNotFound, "Item "+name+" version not found")
			return
		}
		out[name] = it.versions[v-1]
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *Server) object(w http.ResponseWriter, name string) {
	it := f.items[name]
	if it == nil || it.object == nil {
		WriteError(w, http.StatusNotFound, "Item "+name+" not found")
		return
	}
	_ = json.NewEncoder(w).Encode(it.object)
}

func (f *Server) listItems(w http.ResponseWriter, body map[string]any) {
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
	end := min(start+f.PageSize, len(names))
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
func (f *Server) write(w http.ResponseWriter, command string, body map[string]any) {
	name, _ := body["name"].(string)
	value, hasValue := body["value"].(string)
	it := f.items[name]
	switch {
	case name == "" || (command != "delete-item" && !hasValue):
		WriteError(w, http.StatusBadRequest, "name and value are required")
		return
	case command == "create-secret" && it != nil:
		WriteError(w, http.StatusConflict, "Item "+name+" already exists")
		return
	case command != "create-secret" && it == nil:
		WriteError(w, http.StatusNotFound, "Item "+name+" not found")
		return
	case command == "update-secret-val" && it.typ != TypeStatic:
		WriteError(w, http.StatusBadRequest, "Item "+name+" is not a static secret")
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
		f.items[name] = &fakeItem{typ: TypeStatic, versions: []string{value}, tags: tags}
	case "update-secret-val":
		it.versions = append(it.versions, value)
	case "delete-item":
		delete(f.items, name)
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"name": name})
}

// Versions returns the versions of a static secret, oldest first.
func (f *Server) Versions(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it := f.items[name]; it != nil {
		return append([]string(nil), it.versions...)
	}
	return nil
}

// The cloud side of aws_iam, azure_ad and gcp logins, as Akeyless verifies them: it sends
// the signed STS GetCallerIdentity request of an aws_iam cloud-id to AWS, which checks the
// SigV4 signature with the key's secret and answers the caller's identity; it validates
// Azure AD and GCP tokens with their issuers. Here STS's check is made in process (the
// signature recomputed with the secret STS would know, the date within STS's 15 minutes)
// and the tokens are those the in-process metadata services below issued.

var authorizationRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// cloudIdentity checks a cloud-id for the auth method accessID and returns why it is
// refused, or "".
func (f *Server) cloudIdentity(accessType, accessID, cloudID string) string {
	raw, err := base64.StdEncoding.DecodeString(cloudID)
	if err != nil || cloudID == "" {
		return "cloud-id is not base64"
	}
	switch accessType {
	case "aws_iam":
		if accessID != f.AWSAccessID {
			return "no aws_iam auth method " + accessID
		}
		if f.STSEndpoint != "" {
			arn, reason := f.sendToSTS(raw)
			if reason != "" {
				return reason
			}
			if !strings.HasPrefix(arn, f.AWSBoundARN) {
				return "the caller identity " + arn + " is not bound to the auth method"
			}
			return ""
		}
		keyID, reason := f.stsCallerIdentity(raw)
		if reason != "" {
			return reason
		}
		if keyID != f.AWSBoundKeyID {
			return "the caller identity is not bound to the auth method"
		}
	case "azure_ad":
		object, ok := f.azureTokens[string(raw)]
		bound := ok && object == f.AzureObject
		if !ok && f.EntraApp != nil {
			app, issued := f.EntraApp(string(raw))
			bound = issued && app == f.AzureApp && tokenAudience(string(raw)) == "https://management.azure.com/"
		}
		if accessID != f.AzureAccessID || !bound {
			return "the azure ad token is not of the bound identity"
		}
	case "gcp":
		issued, ok := f.gcpTokens[string(raw)]
		if accessID != f.GCPAccessID || !ok || issued[0] != f.GCPAccount {
			return "the gcp identity token is not of the bound service account"
		}
		if issued[1] != gcpAudience {
			return "the gcp identity token's audience is not akeyless.io"
		}
	}
	return ""
}

// stsCallerIdentity does what STS does with the request of an aws_iam cloud-id: checks it
// is a GetCallerIdentity to the global endpoint signed, within 15 minutes, by a key it
// knows, and returns that key's id.
func (f *Server) stsCallerIdentity(raw []byte) (string, string) {
	sts, reason := decodeSTSRequest(raw)
	if reason != "" {
		return "", reason
	}
	target, body, headers := sts.url, sts.body, sts.headers
	m := authorizationRE.FindStringSubmatch(headers.Get("Authorization"))
	if m == nil || m[3] != "us-east-1" || m[4] != "sts" {
		return "", "STS: IncompleteSignature"
	}
	secret, ok := f.AWSSecrets[m[1]]
	if !ok {
		return "", "STS: InvalidClientTokenId"
	}
	signed, err := time.Parse("20060102T150405Z", headers.Get("X-Amz-Date"))
	if err != nil || time.Since(signed).Abs() > 15*time.Minute || signed.Format("20060102") != m[2] {
		return "", "STS: SignatureDoesNotMatch (request expired)"
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(body))
	for k, v := range headers {
		if k != "Authorization" {
			req.Header[k] = v
		}
	}
	creds := aws.Credentials{AccessKeyID: m[1], SecretAccessKey: secret, SessionToken: headers.Get("X-Amz-Security-Token")}
	payload := headers.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = hexSHA256(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "sts", "us-east-1", signed); err != nil ||
		req.Header.Get("Authorization") != headers.Get("Authorization") || payload != hexSHA256(body) {
		return "", "STS: SignatureDoesNotMatch"
	}
	return m[1], ""
}

// AzureIMDS serves Azure's instance metadata identity endpoint (API 2018-02-01) for
// the managed identities of objectIDs (the first is the system-assigned one): GET
// /metadata/identity/oauth2/token with the Metadata: true header and a resource; errors
// are {"error", "error_description"}. Serve it and point the provider at
// <URL>/metadata/identity/oauth2/token.
func (f *Server) AzureIMDS(objectIDs ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, description string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
		}
		q := r.URL.Query()
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/metadata/identity/oauth2/token":
			fail(http.StatusNotFound, "not_found", "The requested URL was not found")
		case r.Header.Get("Metadata") != "true":
			fail(http.StatusBadRequest, "invalid_request", "Required metadata header not specified")
		case q.Get("api-version") == "":
			fail(http.StatusBadRequest, "invalid_request", "Required query variable 'api-version' is missing")
		case q.Get("resource") == "":
			fail(http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		default:
			object := objectIDs[0]
			if q.Get("object_id") != "" {
				object = ""
				for _, o := range objectIDs {
					if o == q.Get("object_id") {
						object = o
					}
				}
			}
			if object == "" {
				fail(http.StatusBadRequest, "invalid_request", "Identity not found")
				return
			}
			token := fakeJWT(map[string]any{"aud": q.Get("resource"), "oid": object, "iss": "https://sts.windows.net/tenant/"})
			f.mu.Lock()
			f.azureTokens[token] = object
			f.mu.Unlock()
			exp := time.Now().Add(time.Hour).Unix()
			_ = json.NewEncoder(w).Encode(map[string]string{"access_token": token, "expires_in": "3599",
				"expires_on": jsonNumber(exp), "resource": q.Get("resource"), "token_type": "Bearer"})
		}
	})
}

// GCPMetadata serves the identity endpoint of GCP's metadata server for the default
// service account email: GET .../service-accounts/default/identity?audience=A with the
// Metadata-Flavor: Google header, answering the signed JWT as text.
func (f *Server) GCPMetadata(email string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audience := r.URL.Query().Get("audience")
		switch {
		case r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/identity":
			http.Error(w, "Not Found", http.StatusNotFound)
		case r.Header.Get("Metadata-Flavor") != "Google":
			http.Error(w, "Missing Metadata-Flavor:Google header.", http.StatusForbidden)
		case audience == "":
			http.Error(w, "non-empty audience parameter required", http.StatusBadRequest)
		default:
			token := fakeJWT(map[string]any{"aud": audience, "email": email, "iss": "https://accounts.google.com"})
			f.mu.Lock()
			f.gcpTokens[token] = [2]string{email, audience}
			f.mu.Unlock()
			_, _ = io.WriteString(w, token)
		}
	})
}

// fakeJWT returns a JWT-shaped token with claims; its issuer verifies it by having issued it.
func fakeJWT(claims map[string]any) string {
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	claims["jti"] = randomHex()
	payload, _ := json.Marshal(claims)
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + "." + randomHex()
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// tokenAudience returns the aud claim of a JWT, unchecked (its issuer vouched for it).
func tokenAudience(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud string `json:"aud"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Aud
}

// sendToSTS sends the signed GetCallerIdentity request of an aws_iam cloud-id, with its
// headers as signed, to the STS at stsEndpoint, as Akeyless sends it to AWS, and returns
// the caller's ARN from STS's answer.
func (f *Server) sendToSTS(raw []byte) (string, string) {
	sts, reason := decodeSTSRequest(raw)
	if reason != "" {
		return "", reason
	}
	req, err := http.NewRequestWithContext(context.Background(), sts.method, f.STSEndpoint, strings.NewReader(sts.body))
	if err != nil {
		return "", "not an STS request"
	}
	headers := sts.headers
	req.Header = headers
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "STS unreachable"
	}
	defer resp.Body.Close()
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if resp.StatusCode != http.StatusOK || xml.NewDecoder(resp.Body).Decode(&out) != nil || out.Arn == "" {
		return "", "STS refused the request: " + resp.Status
	}
	return out.Arn, ""
}

// stsRequest is the request an aws_iam cloud-id carries.
type stsRequest struct {
	method, url, body string
	headers           http.Header
}

// decodeSTSRequest reads an aws_iam cloud-id: JSON of the method, and the base64-encoded
// URL, body and JSON headers; only a GetCallerIdentity to the global endpoint is taken.
func decodeSTSRequest(raw []byte) (stsRequest, string) {
	var doc map[string]string
	if json.Unmarshal(raw, &doc) != nil {
		return stsRequest{}, "cloud-id is not a JSON object"
	}
	decode := func(k string) string {
		v, _ := base64.StdEncoding.DecodeString(doc[k])
		return string(v)
	}
	r := stsRequest{method: doc["sts_request_method"], url: decode("sts_request_url"), body: decode("sts_request_body")}
	if json.Unmarshal([]byte(decode("sts_request_headers")), &r.headers) != nil {
		return stsRequest{}, "sts_request_headers is not JSON"
	}
	if r.method != http.MethodPost || r.url != "https://sts.amazonaws.com/" || r.body != "Action=GetCallerIdentity&Version=2011-06-15" {
		return stsRequest{}, "the STS request is not GetCallerIdentity to sts.amazonaws.com"
	}
	return r, ""
}
