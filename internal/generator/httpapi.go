package generator

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// apiTimeout bounds one call to a service that issues tokens.
	apiTimeout = 30 * time.Second
	// maxAPIResponse bounds what is read of one answer.
	maxAPIResponse = 1 << 20
	// maxAPIMessage bounds how much of a service's error message an error quotes.
	maxAPIMessage = 200
)

// apiClient calls the JSON APIs of the services that issue tokens (GitHub, GitLab, Quay,
// Grafana, Cloudsmith). Its errors carry the method, the URL without its query, the status and,
// for a 4xx refusal, the service's own error message; never a request, a token or the body
// of a 5xx answer.
type apiClient struct {
	http *http.Client
}

func newAPIClient(opts ...Option) *apiClient {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	c := &apiClient{http: &http.Client{Transport: transport, Timeout: apiTimeout}}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Option changes how a generator that calls a service reaches it.
type Option func(*apiClient)

// WithHTTPClient makes the generator call its service through httpClient instead of its
// own client (TLS 1.2 and up, the system's roots, a 30 s timeout). Tests use it to trust
// an in-process server's certificate.
func WithHTTPClient(httpClient *http.Client) Option {
	return func(c *apiClient) { c.http = httpClient }
}

// apiRequest is one call: body (when not nil) is sent as JSON, or form (when not nil) as
// a form; out (when not nil) receives the JSON answer, which must come with one of the ok
// statuses.
type apiRequest struct {
	method, url string
	header      http.Header
	body        any
	form        url.Values
	ok          []int
	out         any
}

// apiError is a service's refusal: the status and its message.
type apiError struct {
	call    string
	status  int
	message string
}

func (e *apiError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("%s: answered %d %s", e.call, e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("%s: answered %d %s: %s", e.call, e.status, http.StatusText(e.status), e.message)
}

func (c *apiClient) do(ctx context.Context, r apiRequest) error {
	var body io.Reader
	contentType := ""
	switch {
	case r.body != nil:
		raw, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		body, contentType = bytes.NewReader(raw), "application/json"
	case r.form != nil:
		body, contentType = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return fmt.Errorf("%s: not a valid request URL", r.method)
	}
	call := callOf(req)
	for name, values := range r.header {
		req.Header[name] = values
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept := r.header.Get("Accept"); accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", call, unwrapURL(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", call, err)
	}
	if !statusIn(resp.StatusCode, r.ok) {
		return refusal(call, resp.StatusCode, raw)
	}
	if r.out != nil {
		if err := json.Unmarshal(raw, r.out); err != nil {
			return fmt.Errorf("%s: the answer is not the JSON expected", call)
		}
	}
	return nil
}

// basicAuth is the Authorization header of HTTP Basic authentication.
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// callOf names a request in errors: its method and URL without the query, which may hold
// credentials.
func callOf(req *http.Request) string {
	return req.Method + " " + req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
}

// refusal is the error of a call answered with status and body raw. A 4xx refusal's
// message says what to fix; what a failing server, or a proxy in front of it, answers is
// not the service's word and could repeat anything, so it is left out.
func refusal(call string, status int, raw []byte) *apiError {
	e := &apiError{call: call, status: status}
	if status < http.StatusInternalServerError {
		e.message = serviceMessage(raw)
	}
	return e
}

func statusIn(status int, ok []int) bool {
	if len(ok) == 0 {
		return status >= 200 && status < 300
	}
	for _, s := range ok {
		if s == status {
			return true
		}
	}
	return false
}

// serviceMessage returns the "message" (GitHub, GitLab, Grafana), "error" or
// "error_message" (Quay), "detail" (Cloudsmith) of an error answer, or the first message
// of a Docker registry's "errors" (ACR), shortened; "" when there is none.
func serviceMessage(raw []byte) string {
	var answer map[string]any
	if json.Unmarshal(raw, &answer) != nil {
		return ""
	}
	var registry struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &registry) == nil && len(registry.Errors) > 0 {
		answer = map[string]any{"message": registry.Errors[0].Message}
	}
	for _, field := range []string{"message", "error_message", "error_description", "error", "detail"} {
		var msg string
		switch v := answer[field].(type) {
		case string:
			msg = v
		case nil:
			continue
		default:
			encoded, _ := json.Marshal(v)
			msg = string(encoded)
		}
		msg = strings.TrimSpace(msg)
		if len(msg) > maxAPIMessage {
			cut := maxAPIMessage
			for cut > 0 && !utf8.RuneStart(msg[cut]) {
				cut--
			}
			msg = msg[:cut] + "..."
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

// unwrapURL drops the *url.Error wrapper, whose message repeats the full URL.
func unwrapURL(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}
