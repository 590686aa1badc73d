package ibm

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

// maxResponseBytes bounds what is read of one answer.
const maxResponseBytes = 16 << 20

// maxMessage bounds the service message an error quotes.
const maxMessage = 300

const (
	iamService = "ibm cloud iam"
	smService  = "ibm secrets manager"
	tokenPath  = "/identity/token"
)

// api sends requests to IBM Cloud IAM and to one Secrets Manager instance.
type api struct {
	serviceURL string
	http       *http.Client
}

// call is one request and what to say when it fails.
type call struct {
	service, method, path string
	// hint says what a user checks for a status (see hint functions below).
	hint func(status int) string
}

// send sends req and decodes a 2xx JSON answer into out. An answer of 400 or more is a
// provider.StatusError quoting the service's message: IAM's and Secrets Manager's error
// bodies name codes and reasons, never the credential or the value asked for. A body that
// is not JSON (a truncated answer) is described, never quoted.
func (a *api) send(req *http.Request, c call, out any) error {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ferry")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s %s: %w", c.service, c.method, c.path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("%s %s %s: reading the answer: %w", c.service, c.method, c.path, unwrapURLError(err))
	}
	if len(raw) > maxResponseBytes {
		return fmt.Errorf("%s %s %s: the answer is larger than %d bytes", c.service, c.method, c.path, maxResponseBytes)
	}
	if resp.StatusCode >= 400 {
		se := &provider.StatusError{Service: c.service, Method: c.method, Path: c.path, Status: resp.StatusCode, Message: errorMessage(raw)}
		if c.hint != nil {
			se.Hint = c.hint(resp.StatusCode)
		}
		return se
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s %s: the answer is not the JSON expected (%d bytes)", c.service, c.method, c.path, len(raw))
	}
	return nil
}

// get reads path of the Secrets Manager instance with an IAM access token.
func (a *api) get(ctx context.Context, path, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.serviceURL+path, nil)
	if err != nil {
		return fmt.Errorf("%s GET %s: %w", smService, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return a.send(req, call{service: smService, method: http.MethodGet, path: path, hint: smHint}, out)
}

// token posts a grant to IAM's token endpoint below endpoint.
func (a *api) token(ctx context.Context, endpoint string, form url.Values, hint func(int) string, out any) error {
	endpoint = strings.TrimSuffix(strings.TrimSuffix(endpoint, "/"), tokenPath)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%s POST %s: %w", iamService, tokenPath, unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.send(req, call{service: iamService, method: http.MethodPost, path: tokenPath, hint: hint}, out)
}

// errorMessage reads the message of an error body: Secrets Manager's
// {"errors":[{"code","message","more_info"}],"status_code","trace"} or IAM's
// {"errorCode","errorMessage","context"}.
func errorMessage(raw []byte) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
		ErrorCode    string `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
		Message      string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return ""
	}
	var msg string
	switch {
	case len(e.Errors) > 0:
		msg = e.Errors[0].Message
	case e.ErrorMessage != "":
		msg = e.ErrorMessage
		if e.ErrorCode != "" {
			msg += " [" + e.ErrorCode + "]"
		}
	default:
		msg = e.Message
	}
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return msg
}

// smHint says what to check when Secrets Manager refuses a read.
func smHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Secrets Manager refused the IAM token: check that serviceUrl is an instance of the account the credentials belong to"
	case http.StatusForbidden:
		return "the identity lacks access to this secret: grant it the SecretsReader role on the instance or the secret's group"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the whole URL.
func unwrapURLError(err error) error {
	if urlErr, ok := err.(*url.Error); ok { //nolint:errorlint // the wrapper itself, not a class
		if urlErr.Timeout() {
			return fmt.Errorf("no answer in time: %w", urlErr.Err)
		}
		return urlErr.Err
	}
	return err
}
