package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// maxResponseBytes bounds what is read of one Vault response.
const maxResponseBytes = 16 << 20

// Vault's request headers.
const (
	headerToken        = "X-Vault-Token"
	headerNamespace    = "X-Vault-Namespace"
	headerIndex        = "X-Vault-Index"
	headerInconsistent = "X-Vault-Inconsistent"
	forwardActiveNode  = "forward-active-node"
)

// request is one call to Vault's HTTP API.
type request struct {
	method string
	// path below /v1/, e.g. "secret/data/app".
	path  string
	query url.Values
	// body is encoded as JSON when not nil.
	body  any
	token string
	// namespace is sent as X-Vault-Namespace when not empty.
	namespace string
}

// transport sends requests to one Vault server with a store's TLS settings and headers.
type transport struct {
	// product names the server in errors: "vault", or "openbao" for OpenBao stores.
	product             string
	server              string
	http                *http.Client
	headers             map[string]string
	forwardInconsistent bool
	readYourWrites      bool

	mu sync.Mutex
	// indexes are the replication states Vault returned (X-Vault-Index), sent back on every
	// request when readYourWrites is set.
	indexes []string
}

// apiError is a response with a status of 400 or more. Vault's messages name paths and
// roles, never secret values.
type apiError struct {
	product      string
	method, path string
	status       int
	messages     []string
}

func (e *apiError) Error() string {
	msg := strings.Join(e.messages, "; ")
	if msg == "" {
		msg = http.StatusText(e.status)
	}
	return fmt.Sprintf("%s %s /v1/%s: %d: %s", e.product, e.method, e.path, e.status, msg)
}

// statusOf returns the HTTP status of a Vault error, or 0.
func statusOf(err error) int {
	var apiErr *apiError
	if errors.As(err, &apiErr) {
		return apiErr.status
	}
	return 0
}

// do sends req and decodes a JSON answer into out (when not nil). A 404 whose body is a KV
// v2 answer (a deleted or destroyed version) still fills out, and is returned as an
// apiError too, so callers see both.
func (t *transport) do(ctx context.Context, req request, out any) error {
	var body io.Reader
	if req.body != nil {
		raw, err := json.Marshal(req.body)
		if err != nil {
			return fmt.Errorf("encoding a request to %s: %w", t.product, err)
		}
		body = bytes.NewReader(raw)
	}
	u := t.server + "/v1/" + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return fmt.Errorf("%s %s /v1/%s: %w", t.product, req.method, req.path, err)
	}
	for k, v := range t.headers {
		httpReq.Header.Set(k, v)
	}
	if body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		httpReq.Header.Set(headerToken, req.token)
	}
	if req.namespace != "" {
		httpReq.Header.Set(headerNamespace, req.namespace)
	}
	if t.forwardInconsistent {
		httpReq.Header.Set(headerInconsistent, forwardActiveNode)
	}
	if t.readYourWrites {
		t.mu.Lock()
		for _, index := range t.indexes {
			httpReq.Header.Add(headerIndex, index)
		}
		t.mu.Unlock()
	}
	resp, err := t.http.Do(httpReq)
	if err != nil {
		return fmt.Errorf("%s %s /v1/%s: %w", t.product, req.method, req.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%s %s /v1/%s: reading the response: %w", t.product, req.method, req.path, err)
	}
	if t.readYourWrites {
		t.remember(resp.Header.Values(headerIndex))
	}
	if resp.StatusCode >= 400 {
		var errBody struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(raw, &errBody)
		if resp.StatusCode == http.StatusNotFound && out != nil && len(raw) > 0 {
			_ = json.Unmarshal(raw, out)
		}
		return &apiError{product: t.product, method: req.method, path: req.path, status: resp.StatusCode, messages: errBody.Errors}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s /v1/%s: the response is not JSON: %w", t.product, req.method, req.path, err)
		}
	}
	return nil
}

// remember keeps the newest replication state of each cluster node Vault reports.
func (t *transport) remember(indexes []string) {
	if len(indexes) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.indexes = append([]string(nil), indexes...)
}

// close drops idle connections.
func (t *transport) close() {
	t.http.CloseIdleConnections()
}
