package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// authResponse is the "auth" part of Vault's answer to a login or a token renewal.
type authResponse struct {
	ClientToken   string `json:"client_token"`
	LeaseDuration int64  `json:"lease_duration"`
	Renewable     bool   `json:"renewable"`
}

// login obtains a new token from an auth method. It reads the credentials it needs (a
// Secret, a ServiceAccount token) each time it runs, which is rarely: see tokenSource.
type login func(ctx context.Context) (*authResponse, error)

// When a token is renewed or replaced, as fractions of its TTL and absolute margins.
const (
	// renewAfter is the share of a token's TTL after which it is renewed.
	renewAfterNum, renewAfterDen = 2, 3
	// maxExpiryMargin is how long before its expiry a token is no longer renewed, at most;
	// short TTLs get a sixth of their length.
	maxExpiryMargin = 5 * time.Second
	// defaultReloginAfter403 is the least time between two logins caused by "permission denied",
	// so a policy that denies a path cannot turn every sync into a login.
	defaultReloginAfter403 = time.Minute
)

// tokenSource holds a store's Vault token. A static token is used as it is; a token from a
// login is kept, renewed (auth/token/renew-self) once two thirds of its TTL have passed,
// and replaced by a new login only when it cannot be renewed or its maximum TTL nears. All
// calls share it, and concurrent callers wait for one login instead of each logging in.
type tokenSource struct {
	login login // nil for a static token
	renew func(ctx context.Context, token string) (*authResponse, error)
	now   func() time.Time
	// reloginAfter403 is the least time between two logins caused by "permission denied".
	reloginAfter403 time.Duration

	mu        sync.Mutex
	token     string
	obtained  time.Time
	ttl       time.Duration // 0: does not expire
	loginTTL  time.Duration // the TTL the last login gave
	renewable bool
	lastLogin time.Time
}

func staticToken(token string) *tokenSource {
	return &tokenSource{token: token, now: time.Now}
}

// get returns a token that is valid for a while yet, renewing or obtaining one if needed.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.login == nil {
		return s.token, nil
	}
	now := s.now()
	if s.token != "" {
		if s.ttl == 0 {
			return s.token, nil
		}
		age := now.Sub(s.obtained)
		if age < s.ttl*renewAfterNum/renewAfterDen {
			return s.token, nil
		}
		if s.renewable && age < s.ttl-min(maxExpiryMargin, s.ttl/6) && s.tryRenew(ctx, now) {
			return s.token, nil
		}
	}
	auth, err := s.login(ctx)
	if err != nil {
		return "", err
	}
	if auth.ClientToken == "" {
		return "", errors.New("login: the answer holds no token")
	}
	s.set(auth, now)
	s.loginTTL = s.ttl
	s.lastLogin = now
	return s.token, nil
}

// tryRenew extends the token's TTL; it reports false when the token must be replaced:
// renewal failed, or the maximum TTL leaves no more than a third of what a login gives.
func (s *tokenSource) tryRenew(ctx context.Context, now time.Time) bool {
	auth, err := s.renew(ctx, s.token)
	if err != nil || auth.LeaseDuration <= 0 {
		return false
	}
	ttl := time.Duration(auth.LeaseDuration) * time.Second
	if ttl <= s.loginTTL/3 {
		return false
	}
	if auth.ClientToken == "" {
		auth.ClientToken = s.token
	}
	s.set(auth, now)
	return true
}

func (s *tokenSource) set(auth *authResponse, now time.Time) {
	s.token = auth.ClientToken
	s.obtained = now
	s.ttl = time.Duration(auth.LeaseDuration) * time.Second
	s.renewable = auth.Renewable
}

// rejected is told that Vault answered "permission denied" to token: a token revoked or
// expired early is dropped, so the next get logs in again, at most once a minute. It
// reports whether a retry with a new token is worth it.
func (s *tokenSource) rejected(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.login == nil || token != s.token || s.now().Sub(s.lastLogin) < s.reloginAfter403 {
		return false
	}
	s.token = ""
	return true
}

// conn is what reads need of a store's connection: a transport and a token.
type conn struct {
	transport *transport
	tokens    *tokenSource
	namespace string
	layout    layout
}

// call sends req with the store's token and namespace. When Vault denies a token that a
// login produced, the token is replaced once and the call repeated.
func (c *conn) call(ctx context.Context, req request, out any) error {
	token, err := c.tokens.get(ctx)
	if err != nil {
		return err
	}
	req.token, req.namespace = token, c.namespace
	err = c.transport.do(ctx, req, out)
	if statusOf(err) == http.StatusForbidden && c.tokens.rejected(token) {
		if token, err = c.tokens.get(ctx); err != nil {
			return err
		}
		req.token = token
		err = c.transport.do(ctx, req, out)
	}
	return err
}

// renewSelf extends the TTL of token.
func renewSelf(t *transport, namespace string) func(ctx context.Context, token string) (*authResponse, error) {
	return func(ctx context.Context, token string) (*authResponse, error) {
		var out struct {
			Auth *authResponse `json:"auth"`
		}
		err := t.do(ctx, request{method: http.MethodPost, path: "auth/token/renew-self", token: token,
			namespace: namespace, body: map[string]any{}}, &out)
		if err != nil {
			return nil, err
		}
		if out.Auth == nil {
			return nil, errors.New("token renewal: the answer holds no auth")
		}
		return out.Auth, nil
	}
}

// loginAt posts body to an auth method's login path and returns the new token.
func loginAt(ctx context.Context, t *transport, namespace, path string, body map[string]any) (*authResponse, error) {
	var out struct {
		Auth *authResponse `json:"auth"`
	}
	if err := t.do(ctx, request{method: http.MethodPost, path: path, namespace: namespace, body: body}, &out); err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", t.product, err)
	}
	if out.Auth == nil {
		return nil, fmt.Errorf("logging in to %s at %s: the answer holds no token", t.product, path)
	}
	return out.Auth, nil
}
