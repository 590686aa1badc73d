package tokenapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// QuayFederation is one trust a robot account has: tokens of issuer with subject.
type QuayFederation struct {
	Issuer, Subject string
}

// Quay serves Quay's robot account federation over TLS: GET /oauth2/federation/robot/token
// with Basic credentials, the robot's name (organization+name) and an OIDC token as the
// password. As Quay documents and does, the token's issuer must be one the robot is
// federated with, its signature must verify with that issuer's keys, and its subject
// must be the federation's; the audience is not checked (tests check it from Exchanges).
// The answer is {"token": ...}, a JWT valid one hour; refusals are 401 {"error": ...}.
type Quay struct {
	URL  string // https://127.0.0.1:PORT
	Host string // 127.0.0.1:PORT, the registry as a QuayAccessToken names it
	federation

	server *httptest.Server
	issuer *KubeIssuer
	robots map[string][]QuayFederation
}

// NewQuay starts a server whose robots trust the given federations; tokens are verified
// with issuer, the only OIDC issuer the server can reach.
func NewQuay(issuer *KubeIssuer, robots map[string][]QuayFederation) *Quay {
	q := &Quay{federation: newFederation(), issuer: issuer, robots: robots}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/federation/robot/token", q.token)
	q.server = httptest.NewTLSServer(mux)
	q.URL = q.server.URL
	q.Host = strings.TrimPrefix(q.URL, "https://")
	return q
}

// Close stops the server.
func (q *Quay) Close() { q.server.Close() }

func quayError(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": message})
}

func (q *Quay) token(w http.ResponseWriter, r *http.Request) {
	if q.failed(w) {
		return
	}
	if r.Header.Get("Authorization") == "" {
		quayError(w, "No auth header")
		return
	}
	robot, oidcToken, ok := r.BasicAuth()
	if !ok {
		quayError(w, "Invalid basic auth credentials")
		return
	}
	if !strings.Contains(robot, "+") {
		quayError(w, "Invalid robot")
		return
	}
	federations, ok := q.robots[robot]
	if !ok {
		quayError(w, "Could not find robot with specified username")
		return
	}
	claims, err := q.issuer.Verify(oidcToken)
	if err != nil {
		quayError(w, "Invalid token: "+err.Error())
		return
	}
	matched := false
	for _, f := range federations {
		if f.Issuer == claims.Issuer && f.Subject == claims.Subject {
			matched = true
		}
	}
	if !matched {
		quayError(w, "Token does not match robot")
		return
	}
	token := q.issue(robot, claims, time.Hour, map[string]any{"iss": "quay", "aud": q.Host})
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}
