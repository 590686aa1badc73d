package tokenapi

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"
)

// workloadIdentityAudience is the audience Entra ID requires of a federated assertion.
const workloadIdentityAudience = "api://AzureADTokenExchange"

// EntraApp is an application registered in the tenant: a client secret, or a federated
// credential trusting the tokens of a Kubernetes issuer for one subject.
type EntraApp struct {
	ClientSecret     string
	FederatedSubject string // system:serviceaccount:<namespace>:<name>; the issuer is the test's
}

// EntraID serves, over TLS, the parts of the Microsoft identity platform a confidential
// client uses: the tenant's OpenID discovery document and the v2.0 token endpoint with the
// client credentials grant, authenticated by a client secret or by a client assertion (a
// Kubernetes ServiceAccount token for audience api://AzureADTokenExchange, verified with
// the test cluster's issuer keys and matched to a federated credential). Tokens are JWTs
// whose aud is the requested resource and tid the tenant. Refusals are the platform's
// {"error", "error_description": "AADSTS...", "error_codes"} bodies.
type EntraID struct {
	URL    string // the authority host, with a trailing slash
	Tenant string
	federation

	server *httptest.Server
	issuer *KubeIssuer
	apps   map[string]EntraApp // under federation.mu
}

// NewEntraID starts a tenant without applications; Register adds them.
func NewEntraID(issuer *KubeIssuer, tenant string) *EntraID {
	e := &EntraID{federation: newFederation(), Tenant: tenant, issuer: issuer, apps: map[string]EntraApp{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.discovery)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.token)
	mux.HandleFunc("GET /msi/token", e.managedIdentity)
	e.server = httptest.NewTLSServer(mux)
	e.URL = e.server.URL + "/"
	return e
}

// Close stops the server.
func (e *EntraID) Close() { e.server.Close() }

// ManagedIdentityHeader is the secret an App Service host sets in IDENTITY_HEADER; the
// managed identity endpoint (IDENTITY_ENDPOINT = URL + "msi/token") requires it.
const ManagedIdentityHeader = "identity-header-of-the-test-host"

// managedIdentity serves the managed identity endpoint of an App Service host (API version
// 2019-08-01): GET with X-IDENTITY-HEADER, resource, and client_id for a user-assigned
// identity, answering a token with expires_on in Unix seconds. Every client ID is an
// identity of the host; the system-assigned one is "system-assigned".
func (e *EntraID) managedIdentity(w http.ResponseWriter, r *http.Request) {
	if e.failed(w) {
		return
	}
	q := r.URL.Query()
	if r.Header.Get("X-IDENTITY-HEADER") != ManagedIdentityHeader || q.Get("api-version") != "2019-08-01" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Bad request: X-IDENTITY-HEADER or api-version."})
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Required query variable 'resource' is missing."})
		return
	}
	identity := q.Get("client_id")
	if identity == "" {
		identity = "system-assigned"
	}
	token, expiry := e.issueUntil(identity, &KubeClaims{}, time.Hour, map[string]any{"aud": resource, "tid": e.Tenant,
		"appid": identity, "iss": "https://sts.windows.net/" + e.Tenant + "/"})
	writeJSON(w, http.StatusOK, map[string]string{"access_token": token, "expires_on": strconv.FormatInt(expiry.Unix(), 10),
		"resource": resource, "token_type": "Bearer", "client_id": identity})
}

// Register adds (or replaces) the application clientID.
func (e *EntraID) Register(clientID string, app EntraApp) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apps[clientID] = app
}

func entraError(w http.ResponseWriter, status int, code string, aadsts int, description string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": "AADSTS" + strconv.Itoa(aadsts) + ": " + description,
		"error_codes": []int{aadsts}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"), "trace_id": randomToken(8)})
}

func (e *EntraID) discovery(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("tenant") != e.Tenant {
		entraError(w, http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	}
	base := e.server.URL + "/" + e.Tenant
	writeJSON(w, http.StatusOK, map[string]any{"token_endpoint": base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize", "issuer": base + "/v2.0"})
}

func (e *EntraID) token(w http.ResponseWriter, r *http.Request) {
	if e.failed(w) {
		return
	}
	if r.PathValue("tenant") != e.Tenant {
		entraError(w, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	}
	// MSAL adds the OpenID scopes (openid, offline_access, profile) to every request.
	scope := ""
	for _, s := range strings.Fields(r.PostForm.Get("scope")) {
		if strings.HasSuffix(s, "/.default") {
			scope = s
		}
	}
	if scope == "" {
		entraError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope is not valid: client credential flows must have a scope value with /.default suffixed.")
		return
	}
	clientID := r.PostForm.Get("client_id")
	e.mu.Lock()
	app, ok := e.apps[clientID]
	e.mu.Unlock()
	if !ok {
		entraError(w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory.")
		return
	}
	var claims KubeClaims
	switch {
	case r.PostForm.Get("client_secret") != "":
		if app.ClientSecret == "" || r.PostForm.Get("client_secret") != app.ClientSecret {
			entraError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided.")
			return
		}
	case r.PostForm.Get("client_assertion") != "":
		verified, err := e.issuer.Verify(r.PostForm.Get("client_assertion"))
		if err != nil || r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			entraError(w, http.StatusUnauthorized, "invalid_client", 700211, "No matching federated identity record found for presented assertion issuer.")
			return
		}
		if !verified.HasAudience(workloadIdentityAudience) {
			entraError(w, http.StatusUnauthorized, "invalid_client", 700212, "No matching federated identity record found for presented assertion audience.")
			return
		}
		if app.FederatedSubject == "" || verified.Subject != app.FederatedSubject {
			entraError(w, http.StatusUnauthorized, "invalid_client", 700213, "No matching federated identity record found for presented assertion subject.")
			return
		}
		claims = *verified
	default:
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}
	resource := strings.TrimSuffix(scope, ".default")
	token := e.issue(clientID, &claims, time.Hour, map[string]any{"aud": resource, "tid": e.Tenant, "appid": clientID,
		"iss": "https://sts.windows.net/" + e.Tenant + "/"})
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
}

// verify checks a token this server signed and returns its claims.
func (f *federation) verify(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, digest[:], signature) != nil {
		return nil, false
	}
	var claims map[string]any
	if decodeSegment(parts[1], &claims) != nil {
		return nil, false
	}
	if exp, ok := claims["exp"].(float64); !ok || time.Now().Unix() >= int64(exp) {
		return nil, false
	}
	return claims, true
}

// ACR serves, over TLS, an Azure Container Registry's token server: POST /oauth2/exchange
// (grant_type access_token: an Entra ID token for Azure Resource Manager, of the registry's
// tenant, of a principal with a role on the registry, traded for an ACR refresh token) and
// POST /oauth2/token (grant_type refresh_token: a refresh token traded for an access token of
// a scope). Both take forms and answer JSON; refusals are the Docker registry's
// {"errors": [{"code", "message"}]} with 400 or 401.
type ACR struct {
	URL  string // https://127.0.0.1:PORT
	Host string // the registry, as the service parameter names it
	federation

	server     *httptest.Server
	entra      *EntraID
	principals []string // client IDs with a role on the registry
}

// NewACR starts a registry that trusts entra's tokens of the given client IDs.
func NewACR(entra *EntraID, principals ...string) *ACR {
	a := &ACR{federation: newFederation(), entra: entra, principals: principals}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/exchange", a.exchange)
	mux.HandleFunc("POST /oauth2/token", a.accessToken)
	a.server = httptest.NewTLSServer(mux)
	a.URL = a.server.URL
	a.Host = strings.TrimPrefix(a.URL, "https://")
	return a
}

// Close stops the server.
func (a *ACR) Close() { a.server.Close() }

func acrError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

func (a *ACR) exchange(w http.ResponseWriter, r *http.Request) {
	if a.failed(w) {
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "access_token" || r.PostForm.Get("access_token") == "" {
		acrError(w, http.StatusBadRequest, "UNSUPPORTED", "grant type not supported or access_token missing")
		return
	}
	if r.PostForm.Get("service") != a.Host {
		acrError(w, http.StatusBadRequest, "DENIED", "service does not match the registry")
		return
	}
	// Azure Resource Manager's audience, written with or without the slash as the resource
	// was asked for (v2.0 scopes keep it, managed identity resources may not).
	claims, ok := a.entra.verify(r.PostForm.Get("access_token"))
	if aud, _ := claims["aud"].(string); !ok || strings.TrimSuffix(aud, "/") != "https://management.azure.com" {
		acrError(w, http.StatusUnauthorized, "UNAUTHORIZED", "the access token is not valid for Azure Resource Manager")
		return
	}
	if tenant := r.PostForm.Get("tenant"); tenant != "" && tenant != claims["tid"] {
		acrError(w, http.StatusUnauthorized, "UNAUTHORIZED", "the access token is not of the tenant given")
		return
	}
	principal, _ := claims["appid"].(string)
	if !slices.Contains(a.principals, principal) {
		acrError(w, http.StatusUnauthorized, "UNAUTHORIZED", "the principal has no role on the registry")
		return
	}
	token := a.issue(principal, &KubeClaims{}, 3*time.Hour, map[string]any{"iss": "Azure Container Registry", "aud": a.Host,
		"grant_type": "refresh_token", "tenant": claims["tid"]})
	writeJSON(w, http.StatusOK, map[string]string{"refresh_token": token})
}

func (a *ACR) accessToken(w http.ResponseWriter, r *http.Request) {
	if a.failed(w) {
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("scope") == "" {
		acrError(w, http.StatusBadRequest, "UNSUPPORTED", "grant type not supported or scope missing")
		return
	}
	refresh, ok := a.verify(r.PostForm.Get("refresh_token"))
	if !ok || refresh["grant_type"] != "refresh_token" || r.PostForm.Get("service") != a.Host {
		acrError(w, http.StatusUnauthorized, "UNAUTHORIZED", "the refresh token is not valid for this registry")
		return
	}
	principal, _ := refresh["sub"].(string)
	token := a.issue(principal, &KubeClaims{}, time.Hour, map[string]any{"iss": "Azure Container Registry", "aud": a.Host,
		"grant_type": "access_token", "scope": r.PostForm.Get("scope")})
	writeJSON(w, http.StatusOK, map[string]string{"access_token": token})
}
