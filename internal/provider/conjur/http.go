package conjur

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryhq/ferry/internal/provider"
)

// maxResponseBytes bounds what is read of one Conjur response.
const maxResponseBytes = 16 << 20

// api sends requests to one Conjur server.
type api struct {
	base    string
	account string
	http    *http.Client
}

// call is one request to Conjur.
type call struct {
	method string
	// path is below the server's URL, already escaped, e.g. "/secrets/myorg/variable/db%2Fpass".
	path  string
	query url.Values
	body  io.Reader
	// contentType is sent when body is set.
	contentType string
	// token is the access token (base64 of the token JSON); empty for a login.
	token string
	// base64 asks Conjur to answer in base64 (logins and batch reads).
	base64 bool
}

// hint says what a user checks for a status that comes from the store's setup.
func hint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Conjur did not accept the credentials: check the account, the login or host id, and the API key, JWT or certificate"
	case http.StatusForbidden:
		return "the authenticated role lacks the privilege: it needs execute on the variable, read to list it"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}

// statusOf returns the HTTP status of a Conjur error, or 0.
func statusOf(err error) int { return provider.HTTPStatus(err) }

// do sends c and returns the body of a successful answer and its Content-Encoding.
func (a *api) do(ctx context.Context, c call) ([]byte, string, error) {
	u := a.base + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, c.body)
	if err != nil {
		return nil, "", fmt.Errorf("conjur %s %s: %w", c.method, c.path, err)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", `Token token="`+c.token+`"`)
	}
	if c.base64 {
		req.Header.Set("Accept-Encoding", "base64")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("conjur %s %s: %w", c.method, c.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, "", fmt.Errorf("conjur %s %s: reading the answer: %w", c.method, c.path, err)
	}
	if resp.StatusCode >= 400 {
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &body)
		return nil, "", &provider.StatusError{Service: "conjur", Method: c.method, Path: c.path, Status: resp.StatusCode,
			Message: body.Error.Message, Hint: hint(resp.StatusCode)}
	}
	return raw, strings.ToLower(resp.Header.Get("Content-Encoding")), nil
}

// escape encodes one Conjur identifier (a login, a variable id) as a single path segment:
// its slashes are escaped too.
func escape(id string) string { return url.PathEscape(id) }
