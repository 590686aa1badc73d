package tokenapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"
)

// CloudsmithService is an OIDC trust of a Cloudsmith organization: a service account
// (by slug) that tokens of Issuer whose claims hold RequiredClaims may act as.
type CloudsmithService struct {
	Issuer         string
	RequiredClaims map[string]string // "sub" and "aud" are checked
}

// Cloudsmith serves Cloudsmith's OIDC exchange over TLS: POST /openid/{org}/ with
// {"oidc_token", "service_slug"}; the token must verify with the keys of a provider the
// organization trusts for that service account and carry the required claims. The answer
// is 201 {"token": ...}, a JWT; refusals are {"detail": ...}: 400 for missing parameters,
// 401 for a token that cannot be authenticated, 404 for an unknown organization.
type Cloudsmith struct {
	URL string
	federation

	server   *httptest.Server
	issuer   *KubeIssuer
	services map[string]map[string]CloudsmithService // org → slug → trust
}

// NewCloudsmith starts a server whose organizations trust the given services; tokens are
// verified with issuer, the only OIDC issuer the server can reach.
func NewCloudsmith(issuer *KubeIssuer, services map[string]map[string]CloudsmithService) *Cloudsmith {
	c := &Cloudsmith{federation: newFederation(), issuer: issuer, services: services}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /openid/{org}/", c.token)
	c.server = httptest.NewTLSServer(mux)
	c.URL = c.server.URL
	return c
}

// Close stops the server.
func (c *Cloudsmith) Close() { c.server.Close() }

func cloudsmithError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

func (c *Cloudsmith) token(w http.ResponseWriter, r *http.Request) {
	if c.failed(w) {
		return
	}
	org, ok := c.services[r.PathValue("org")]
	if !ok {
		cloudsmithError(w, http.StatusNotFound, "Not found.")
		return
	}
	var body struct {
		OIDCToken   string `json:"oidc_token"`
		ServiceSlug string `json:"service_slug"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.OIDCToken == "" || body.ServiceSlug == "" {
		cloudsmithError(w, http.StatusBadRequest, "Missing or invalid parameters: oidc_token and service_slug are required.")
		return
	}
	const refused = "OIDC token cannot be authenticated."
	service, ok := org[body.ServiceSlug]
	claims, err := c.issuer.Verify(body.OIDCToken)
	if !ok || err != nil || claims.Issuer != service.Issuer {
		cloudsmithError(w, http.StatusUnauthorized, refused)
		return
	}
	if sub, ok := service.RequiredClaims["sub"]; ok && claims.Subject != sub {
		cloudsmithError(w, http.StatusUnauthorized, refused)
		return
	}
	if aud, ok := service.RequiredClaims["aud"]; ok && !claims.HasAudience(aud) {
		cloudsmithError(w, http.StatusUnauthorized, refused)
		return
	}
	token := c.issue(body.ServiceSlug, claims, 2*time.Hour, map[string]any{"iss": "cloudsmith"})
	writeJSON(w, http.StatusCreated, map[string]string{"token": token})
}
