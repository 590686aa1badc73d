package passbolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const service = "passbolt"

// maxMessage bounds the server message an error quotes.
const maxMessage = 300

// api sends requests to one Passbolt server.
type api struct {
	host string
	http *http.Client
}

// envelope is every answer of Passbolt's API: metadata in header, the payload in body.
type envelope struct {
	Header struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"header"`
	Body json.RawMessage `json:"body"`
}

// answer is what a call got back: its status, headers and body, read whatever the status.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	cookies []*http.Cookie
}

// send sends one request; body, when not nil, is sent as JSON. session is the session
// cookie as "name=value" ("" before login).
func (a *api) send(ctx context.Context, method, path string, query url.Values, body any, session string) (*answer, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: encoding the request: %w", service, method, path, err)
		}
		reader = bytes.NewReader(raw)
	}
	u := strings.TrimSuffix(a.host, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", service, method, path, restclient.UnwrapURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ferry")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if session != "" {
		req.Header.Set("Cookie", session)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", service, method, path, restclient.UnwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, restclient.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: reading the answer: %w", service, method, path, restclient.UnwrapURLError(err))
	}
	if len(raw) > restclient.MaxResponseBytes {
		return nil, fmt.Errorf("%s %s %s: the answer is larger than %d bytes", service, method, path, restclient.MaxResponseBytes)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: raw, cookies: resp.Cookies()}, nil
}

// get reads path with the session and decodes the envelope's body into out. An answer of
// 400 or more is a provider.StatusError quoting the envelope's message (Passbolt's
// messages name what failed, never a secret); a body that is not an envelope is described,
// never quoted.
func (a *api) get(ctx context.Context, path string, query url.Values, session string, out any) error {
	ans, err := a.send(ctx, http.MethodGet, path, query, nil, session)
	if err != nil {
		return err
	}
	if ans.status >= 400 {
		return statusError(http.MethodGet, path, ans)
	}
	var env envelope
	if err := json.Unmarshal(ans.body, &env); err != nil || env.Body == nil {
		return fmt.Errorf("%s GET %s: the answer is not Passbolt's JSON envelope (%d bytes)", service, path, len(ans.body))
	}
	if err := json.Unmarshal(env.Body, out); err != nil {
		return fmt.Errorf("%s GET %s: the answer's body is not what the API reference describes (%d bytes)", service, path, len(env.Body))
	}
	return nil
}

// statusError makes an answer of 400 or more an error, with what a user checks.
func statusError(method, path string, ans *answer) error {
	se := &provider.StatusError{Service: service, Method: method, Path: path, Status: ans.status, Message: envelopeMessage(ans.body)}
	switch ans.status {
	case http.StatusUnauthorized:
		se.Hint = "the session is not accepted; Ferry logs in again on the next read"
	case http.StatusForbidden:
		se.Hint = "the session is not accepted, or the account requires MFA, which Ferry cannot answer: use a Passbolt user without MFA"
	case http.StatusTooManyRequests:
		se.Hint = provider.RateLimitHint
	}
	return se
}

// envelopeMessage reads header.message of an error envelope.
func envelopeMessage(raw []byte) string {
	var env envelope
	if json.Unmarshal(raw, &env) != nil {
		return ""
	}
	msg := strings.TrimSpace(env.Header.Message)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return msg
}
