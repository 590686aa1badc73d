package delinea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

// maxResponseBytes bounds what is read of one DSV response.
const maxResponseBytes = 16 << 20

// api sends requests to one DSV tenant.
type api struct {
	tenant, tld, template string
	http                  *http.Client
}

func hint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "DSV did not accept the client credentials: check clientId, clientSecret and tenant"
	case http.StatusForbidden:
		return "the client's role lacks read on this path: check its DSV policy"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}

func statusOf(err error) int { return provider.HTTPStatus(err) }

// url is the address of resource ("token", "secrets") and path, by the tenant's template.
func (a *api) url(resource, path string) string {
	if path != "" {
		path = "/" + escapePath(path)
	}
	return fmt.Sprintf(a.template, a.tenant, a.tld, resource, path)
}

// escapePath escapes each segment of a DSV path, keeping its slashes.
func escapePath(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		segs[i] = pathEscape(s)
	}
	return strings.Join(segs, "/")
}

// do sends a request and decodes a JSON answer into out. The error names resource (never
// the path's value of a secret, which paths do not hold).
func (a *api) do(ctx context.Context, method, resource, path, token string, body, out any) error {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encoding a request to delinea dsv: %w", err)
		}
		reader = bytes.NewReader(raw)
	}
	label := resource
	if path != "" {
		label += "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, method, a.url(resource, path), reader)
	if err != nil {
		return fmt.Errorf("delinea dsv %s %s: %w", method, label, err)
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("delinea dsv %s %s: %w", method, label, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("delinea dsv %s %s: reading the answer: %w", method, label, err)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		return &provider.StatusError{Service: "delinea dsv", Method: method, Path: label, Status: resp.StatusCode,
			Message: e.Message, Hint: hint(resp.StatusCode)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("delinea dsv %s %s: the answer is not JSON", method, label)
	}
	return nil
}

// login returns the login that exchanges the client credentials for an access token.
func (a *api) login(clientID, clientSecret string) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		var out struct {
			AccessToken string `json:"accessToken"`
			ExpiresIn   int64  `json:"expiresIn"`
		}
		body := map[string]string{"grant_type": "client_credentials", "client_id": clientID, "client_secret": clientSecret}
		if err := a.do(ctx, http.MethodPost, "token", "", "", body, &out); err != nil {
			return credcache.Token{}, fmt.Errorf("logging in to delinea dsv: %w", err)
		}
		tok := credcache.Token{Value: out.AccessToken}
		if out.ExpiresIn > 0 {
			tok.Expiry = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
}
