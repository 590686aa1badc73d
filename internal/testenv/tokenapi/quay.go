package tokenapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// QuayFederation is one trust a robot account has: tokens of issuer with subject.
type QuayFederation struct {
	Issuer, Subject string
}

// QuayExchange is one robot token Quay issued.
type QuayExchange struct {
	Robot  string
	Claims KubeClaims // of the token that was exchanged
	Token  string     // the robot token issued, a JWT
	Expiry time.Time
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

	server *httptest.Server
	issuer *KubeIssuer
	robots map[string][]QuayFederation
	key    *rsa.PrivateKey

	mu        sync.Mutex
	exchanges []QuayExchange
	failure   int
}

// NewQuay starts a server whose robots trust the given federations; tokens are verified
// with issuer, the only OIDC issuer the server can reach.
func NewQuay(issuer *KubeIssuer, robots map[string][]QuayFederation) *Quay {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	q := &Quay{issuer: issuer, robots: robots, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/federation/robot/token", q.token)
	q.server = httptest.NewTLSServer(mux)
	q.URL = q.server.URL
	q.Host = strings.TrimPrefix(q.URL, "https://")
	return q
}

// Close stops the server.
func (q *Quay) Close() { q.server.Close() }

// Exchanges returns the robot tokens issued, oldest first.
func (q *Quay) Exchanges() []QuayExchange {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]QuayExchange(nil), q.exchanges...)
}

// Fail makes every request fail with status (0: none) until it is called again, as a Quay
// behind a failing proxy would: with a body that is not Quay's, holding a canary string
// (CanaryBody) a client must not repeat.
func (q *Quay) Fail(status int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failure = status
}

// CanaryBody is in the body of every failure FailNext injects.
const CanaryBody = "canary-5f2c-do-not-echo"

func quayError(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": message})
}

func (q *Quay) token(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	if status := q.failure; status != 0 {
		q.mu.Unlock()
		writeJSON(w, status, map[string]string{"error": CanaryBody, "message": CanaryBody})
		return
	}
	q.mu.Unlock()
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
	expiry := time.Now().Add(time.Hour).Truncate(time.Second)
	token := q.robotJWT(robot, expiry)
	q.mu.Lock()
	q.exchanges = append(q.exchanges, QuayExchange{Robot: robot, Claims: *claims, Token: token, Expiry: expiry})
	q.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// robotJWT is a temporary robot token as Quay issues it: RS256, signed by the instance.
func (q *Quay) robotJWT(robot string, expiry time.Time) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": "quay", "sub": robot, "aud": q.Host,
		"iat": time.Now().Unix(), "nbf": time.Now().Unix(), "exp": expiry.Unix(), "jti": randomToken(16)})
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, q.key, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(signature)
}
