package tokenapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// cloudPlatformScope is the OAuth scope of Google Cloud APIs.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Google serves, over TLS, the Google endpoints that issue access tokens to workloads:
// OAuth 2.0's token endpoint for service account keys (POST /token, the JWT bearer grant:
// the assertion's RS256 signature by the key, iss the key's client_email, aud the token
// URI, a lifetime of at most an hour), the Security Token Service (POST /v1/token, RFC 8693
// token exchange of a Kubernetes token of GKE workload identity: verified with the test
// cluster's issuer keys, audience the cluster's workload identity pool and provider; or of
// workload identity federation, for the pool providers AddOIDCProvider and AddAWSProvider
// add), and
// IAM Credentials' generateAccessToken (POST /v1/projects/-/serviceAccounts/{email}:
// generateAccessToken, allowed to federated principals bound to the service account).
// Refusals are OAuth's {"error", "error_description"} or Google APIs' {"error": {"code",
// "message", "status"}}.
type Google struct {
	URL string
	federation

	server   *httptest.Server
	issuer   *KubeIssuer
	project  string // of the cluster's workload identity pool
	provider string // the cluster, as the pool names it
	keys     map[string]*rsa.PublicKey
	bindings map[string][]string      // GCP service account → Kubernetes subjects allowed to act as it
	pools    map[string]*poolProvider // workload identity federation providers, by audience
}

// NewGoogle starts the endpoints for the GKE cluster clusterName in location of project.
func NewGoogle(issuer *KubeIssuer, project, location, clusterName string) *Google {
	g := &Google{federation: newFederation(), issuer: issuer, project: project,
		provider: "https://container.googleapis.com/v1/projects/" + project + "/locations/" + location + "/clusters/" + clusterName,
		keys:     map[string]*rsa.PublicKey{}, bindings: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", g.jwtBearer)
	mux.HandleFunc("POST /v1/token", g.stsExchange)
	mux.HandleFunc("POST /v1/projects/-/serviceAccounts/{call}", g.generateAccessToken)
	g.server = httptest.NewTLSServer(mux)
	g.URL = g.server.URL
	return g
}

// Close stops the server.
func (g *Google) Close() { g.server.Close() }

// ServiceAccountKey creates a key of the service account email and returns it as Google's
// JSON key file, whose token_uri is this server's.
func (g *Google) ServiceAccountKey(email string) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	kid := randomToken(40)
	g.mu.Lock()
	g.keys[email+"/"+kid] = &key.PublicKey
	g.mu.Unlock()
	file, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": g.project, "private_key_id": kid,
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "client_email": email,
		"client_id": randomToken(21), "token_uri": g.URL + "/token"})
	return file
}

// Bind lets the Kubernetes ServiceAccount namespace/name act as the GCP service account
// email (roles/iam.workloadIdentityUser).
func (g *Google) Bind(email, namespace, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bindings[email] = append(g.bindings[email], ServiceAccountSubject(namespace, name))
}

// Pool is the cluster's workload identity pool.
func (g *Google) Pool() string { return g.project + ".svc.id.goog" }

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func (g *Google) jwtBearer(w http.ResponseWriter, r *http.Request) {
	if g.failed(w) {
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	var header struct{ Alg, Kid string }
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	if len(parts) != 3 || decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	g.mu.Lock()
	key := g.keys[claims.Iss+"/"+header.Kid]
	g.mu.Unlock()
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if key == nil || header.Alg != "RS256" || err != nil || rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], signature) != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := time.Now().Unix()
	if claims.Aud != g.URL+"/token" || claims.Exp <= now || claims.Exp-claims.Iat > 3600 || claims.Iat > now+60 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	if !slices.Contains(strings.Fields(claims.Scope), cloudPlatformScope) {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
		return
	}
	token := g.issue(claims.Iss, &KubeClaims{}, time.Hour, map[string]any{"iss": "accounts.google.com"})
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
}

func (g *Google) stsExchange(w http.ResponseWriter, r *http.Request) {
	if g.failed(w) {
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid value for \"grant_type\".")
		return
	}
	if strings.HasPrefix(r.PostForm.Get("audience"), "//iam.googleapis.com/") {
		g.federate(w, r)
		return
	}
	if r.PostForm.Get("subject_token_type") != subjectTypeJWT {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid value for \"subject_token_type\".")
		return
	}
	if r.PostForm.Get("audience") != "identitynamespace:"+g.Pool()+":"+g.provider {
		oauthError(w, http.StatusBadRequest, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid.")
		return
	}
	claims, err := g.issuer.Verify(r.PostForm.Get("subject_token"))
	if err != nil || !claims.HasAudience(g.Pool()) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "The audience in ID Token does not match the expected audience.")
		return
	}
	token := g.issue("principal:"+claims.Subject, claims, time.Hour, map[string]any{"iss": "sts.googleapis.com", "federated": claims.Subject})
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"token_type": "Bearer", "expires_in": 3600})
}

func googleAPIError(w http.ResponseWriter, status int, state, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": message, "status": state}})
}

func (g *Google) generateAccessToken(w http.ResponseWriter, r *http.Request) {
	if g.failed(w) {
		return
	}
	email, ok := strings.CutSuffix(r.PathValue("call"), ":generateAccessToken")
	if !ok {
		googleAPIError(w, http.StatusNotFound, "NOT_FOUND", "Method not found.")
		return
	}
	federated, ok := g.verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	subject, _ := federated["federated"].(string)
	if !ok || subject == "" {
		googleAPIError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
		return
	}
	var body struct {
		Scope []string `json:"scope"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || !slices.Contains(body.Scope, cloudPlatformScope) {
		googleAPIError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument.")
		return
	}
	g.mu.Lock()
	allowed := slices.Contains(g.bindings[email], subject)
	g.mu.Unlock()
	if !allowed {
		googleAPIError(w, http.StatusForbidden, "PERMISSION_DENIED",
			"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).")
		return
	}
	token, expiry := g.issueUntil(email, &KubeClaims{Subject: subject}, time.Hour, map[string]any{"iss": "iamcredentials.googleapis.com"})
	writeJSON(w, http.StatusOK, map[string]string{"accessToken": token, "expireTime": expiry.UTC().Format(time.RFC3339)})
}
