package tokenapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Exchange is one token a federating server issued for a ServiceAccount token.
type Exchange struct {
	Principal string     // what the token is for: Quay's robot, Cloudsmith's service
	Claims    KubeClaims // of the ServiceAccount token that was exchanged
	Token     string     // the token issued, a JWT
	Expiry    time.Time
}

// CanaryBody is in the body of every failure Fail injects.
const CanaryBody = "canary-5f2c-do-not-echo"

// federation is what the servers that trade ServiceAccount tokens share: the record of
// what they issued, the key they sign their own tokens with, and injected failures.
type federation struct {
	key *rsa.PrivateKey

	mu        sync.Mutex
	exchanges []Exchange
	failure   int
}

func newFederation() federation {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return federation{key: key}
}

// Exchanges returns the tokens issued, oldest first.
func (f *federation) Exchanges() []Exchange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Exchange(nil), f.exchanges...)
}

// IssuedTo returns the tokens issued to principal, oldest first.
func (f *federation) IssuedTo(principal string) []Exchange {
	var out []Exchange
	for _, x := range f.Exchanges() {
		if x.Principal == principal {
			out = append(out, x)
		}
	}
	return out
}

// Fail makes every request fail with status (0: none) until it is called again, as the
// service behind a failing proxy would: with a JSON body that is not the service's,
// holding CanaryBody in the fields a service's own message would be in, which a client
// must not repeat.
func (f *federation) Fail(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failure = status
}

// failed answers the injected failure, if any, and says whether it did.
func (f *federation) failed(w http.ResponseWriter) bool {
	f.mu.Lock()
	status := f.failure
	f.mu.Unlock()
	if status == 0 {
		return false
	}
	writeJSON(w, status, map[string]string{"error": CanaryBody, "message": CanaryBody, "detail": CanaryBody})
	return true
}

// issue signs a token for principal (RS256), valid for lifetime, and records the exchange.
func (f *federation) issue(principal string, claims *KubeClaims, lifetime time.Duration, extra map[string]any) string {
	token, _ := f.issueUntil(principal, claims, lifetime, extra)
	return token
}

// issueUntil is issue, also returning the token's expiry.
func (f *federation) issueUntil(principal string, claims *KubeClaims, lifetime time.Duration, extra map[string]any) (string, time.Time) {
	now := time.Now()
	expiry := now.Add(lifetime).Truncate(time.Second)
	payload := map[string]any{"sub": principal, "iat": now.Unix(), "nbf": now.Unix(), "exp": expiry.Unix(), "jti": randomToken(16)}
	for k, v := range extra {
		payload[k] = v
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	body, _ := json.Marshal(payload)
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(signed))
	signature, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	token := signed + "." + base64.RawURLEncoding.EncodeToString(signature)
	f.mu.Lock()
	f.exchanges = append(f.exchanges, Exchange{Principal: principal, Claims: *claims, Token: token, Expiry: expiry})
	f.mu.Unlock()
	return token, expiry
}
