package restclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
)

// MaxResponseBytes bounds what is read of one response.
const MaxResponseBytes = 16 << 20

// DefaultTimeout bounds one request, so a server that hangs fails the read instead of
// holding it.
const DefaultTimeout = 30 * time.Second

// maxMessage bounds the vendor message an error quotes.
const maxMessage = 300

// NewHTTPClient returns an HTTP client that trusts pool (nil: the system's roots) and gives
// up on a request after timeout (0: DefaultTimeout).
func NewHTTPClient(pool *x509.CertPool, timeout time.Duration) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Transport: transport, Timeout: timeout}
}

// Client calls one service's API below BaseURL.
type Client struct {
	// Service names the service in errors, e.g. "doppler".
	Service string
	// BaseURL is prepended to every request's path, e.g. "https://api.doppler.com".
	BaseURL string
	// HTTP sends the requests.
	HTTP *http.Client
	// Message extracts the vendor's error message from an error body; nil quotes none.
	Message func(body []byte) string
	// Header, when set, is called on every request to add headers (User-Agent, API
	// versions); authentication goes in Request.Header.
	Header func(h http.Header)
}

// Request is one call.
type Request struct {
	Method string
	// Path is appended to the client's BaseURL; it is escaped by the caller.
	Path  string
	Query url.Values
	// Header is added to the request (authentication, conditional reads).
	Header http.Header
	// Body is encoded as JSON when not nil.
	Body any
	// Form, when set, is sent as application/x-www-form-urlencoded instead of Body.
	Form url.Values
	// Raw, when set, is sent as it is, with the content type RawType (a YAML document),
	// instead of Body.
	Raw     []byte
	RawType string
}

// Response is a successful answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// StatusError is an answer with a status of 400 or more.
type StatusError struct {
	Service, Method, Path string
	Status                int
	// RetryAfter is the server's Retry-After, 0 when it sent none.
	RetryAfter time.Duration
	// Message is the vendor's message, for failed GETs only.
	Message string
}

// RetryDelay returns the server's Retry-After (failure.RetryAfter reads it).
func (e *StatusError) RetryDelay() time.Duration { return e.RetryAfter }

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s: HTTP %d %s", e.Service, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Status returns the HTTP status of a StatusError in err's chain, or 0.
func Status(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// Do sends req and, for a 2xx answer, decodes its JSON body into out (when not nil). An
// answer of 400 or more is a *StatusError; a body that is not JSON (a truncated answer) is
// an error that says so without quoting it.
func (c *Client) Do(ctx context.Context, req Request, out any) (*Response, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	if out != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return nil, fmt.Errorf("%s %s %s: the answer is not the JSON expected (%d bytes): %s", c.Service, req.Method, req.Path,
				len(resp.Body), jsonProblem(err))
		}
	}
	return resp, nil
}

// jsonProblem describes a decoding error without quoting the document.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input"):
		return "it ends too early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q is a JSON %s, not a %s", typ.Field, typ.Value, typ.Type)
	default:
		return "invalid JSON"
	}
}

func (c *Client) send(ctx context.Context, req Request) (*Response, error) {
	httpReq, err := c.build(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(httpReq)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", c.Service, req.Method, req.Path, UnwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: reading the answer: %w", c.Service, req.Method, req.Path, UnwrapURLError(err))
	}
	if len(raw) > MaxResponseBytes {
		return nil, fmt.Errorf("%s %s %s: the answer is larger than %d bytes", c.Service, req.Method, req.Path, MaxResponseBytes)
	}
	if resp.StatusCode >= 400 {
		se := &StatusError{Service: c.Service, Method: req.Method, Path: req.Path, Status: resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if req.Method == http.MethodGet && c.Message != nil {
			se.Message = truncate(c.Message(raw))
		}
		return nil, se
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

func (c *Client) build(ctx context.Context, req Request) (*http.Request, error) {
	var body io.Reader
	contentType := ""
	switch {
	case req.Form != nil:
		body, contentType = strings.NewReader(req.Form.Encode()), "application/x-www-form-urlencoded"
	case req.Raw != nil:
		body, contentType = bytes.NewReader(req.Raw), req.RawType
	case req.Body != nil:
		raw, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s %s: encoding the request: %w", c.Service, req.Method, req.Path, err)
		}
		body, contentType = bytes.NewReader(raw), "application/json"
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + req.Path
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", c.Service, req.Method, req.Path, UnwrapURLError(err))
	}
	httpReq.Header.Set("Accept", "application/json")
	if contentType != "" {
		httpReq.Header.Set("Content-Type", contentType)
	}
	if c.Header != nil {
		c.Header(httpReq.Header)
	}
	for k, vs := range req.Header {
		httpReq.Header[k] = vs
	}
	return httpReq, nil
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxMessage {
		return s[:maxMessage] + "…"
	}
	return s
}

// UnwrapURLError drops the *url.Error wrapper, whose message repeats the whole URL (and
// may carry its query); a timeout says so.
func UnwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if urlErr.Timeout() {
			return fmt.Errorf("no answer in time: %w", urlErr.Err)
		}
		return urlErr.Err
	}
	return err
}

// NotFoundOr turns a 404 into provider.NotFound(key) and leaves other errors as they are.
func NotFoundOr(err error, key string) error {
	if Status(err) == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", provider.NotFound(key), err)
	}
	return err
}

// Bearer returns an Authorization header with a bearer token.
func Bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}
