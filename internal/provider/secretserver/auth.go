package secretserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/redact"
)

// tokenSource gives the bearer token of a client's calls.
type tokenSource interface {
	// Get returns the token to send.
	Get(ctx context.Context) (string, error)
	// Rejected is told that Secret Server refused token, and reports whether a retry with
	// a new one is worth it.
	Rejected(token string) bool
}

// fixed is a token the store gives: it is sent as it is and cannot be renewed.
type fixed string

func fixedToken(token string) tokenSource {
	redact.RememberCredentialString(token)
	return fixed(token)
}

func (t fixed) Get(context.Context) (string, error) { return string(t), nil }

func (fixed) Rejected(string) bool { return false }

// passwordGrant returns the login that exchanges the username and password (and the
// domain, when set) for an access token at /oauth2/token.
func passwordGrant(api *restclient.Client, username, password, domain string) credcache.Login {
	redact.RememberCredentialString(password)
	return func(ctx context.Context) (credcache.Token, error) {
		form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
		if domain != "" {
			form.Set("domain", domain)
		}
		var grant struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		resp, err := api.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/oauth2/token", Form: form}, nil)
		if err != nil {
			return credcache.Token{}, fmt.Errorf("logging in to secret server: %w%s", err, loginHint(restclient.Status(err)))
		}
		// Decoded here, so that an answer that is not JSON, and may hold the token, is
		// described by its size alone.
		if err := json.Unmarshal(resp.Body, &grant); err != nil {
			return credcache.Token{}, fmt.Errorf("logging in to secret server: the token answer is not JSON (%d bytes)", len(resp.Body))
		}
		tok := credcache.Token{Value: grant.AccessToken}
		if grant.ExpiresIn > 0 {
			tok.Expiry = time.Now().Add(time.Duration(grant.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
}

// loginHint says what to check when the token endpoint refuses a login. Secret Server
// answers a wrong username, password or domain with 400 and an OAuth2 error body.
func loginHint(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized:
		return " (Secret Server refused the login: check username, password and domain, and that the user may use the API)"
	case http.StatusForbidden:
		return " (the user is not allowed to log in: check its Secret Server roles and IP restrictions)"
	case http.StatusNotFound:
		return " (no token endpoint: serverURL must be the address Secret Server is served at, e.g. https://host/SecretServer)"
	}
	return ""
}
