package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/webhook"
)

// limitedValidator serves the real ExternalSecret validating webhook behind Limit.
func limitedValidator(t *testing.T, l webhook.Limits) *httptest.Server {
	t.Helper()
	hooks := webhook.Validators(operator.Scheme(), builtinProviders())
	srv := httptest.NewServer(webhook.Limit(hooks[webhook.ValidatePath("ExternalSecret")], l))
	t.Cleanup(srv.Close)
	return srv
}

// reviewResult decodes an AdmissionReview answer and returns its allowed flag and code.
func reviewResult(t *testing.T, resp *http.Response) (bool, int32, string) {
	t.Helper()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil || review.Response == nil {
		t.Fatalf("answer is not an AdmissionReview with a response (HTTP %d): %v", resp.StatusCode, err)
	}
	r := review.Response
	if r.Result == nil {
		return r.Allowed, 0, ""
	}
	return r.Allowed, r.Result.Code, r.Result.Message
}

func TestLimitRefusesLargeBodies(t *testing.T) {
	srv := limitedValidator(t, webhook.Limits{MaxBody: 1 << 10, Timeout: time.Minute})
	big := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","object":{"x":"` +
		strings.Repeat("a", 4<<10) + `"}}}`

	// Announced: refused before anything is read.
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte body with Content-Length: HTTP %d, want 413", len(big), resp.StatusCode)
	}

	// Unannounced (chunked): reading stops at the limit and the review is refused.
	resp, err = http.Post(srv.URL, "application/json", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if allowed, code, msg := reviewResult(t, resp); allowed || code != http.StatusBadRequest || !strings.Contains(msg, "too large") {
		t.Errorf("a chunked %d-byte body: allowed=%v code=%d %q, want refused with 400 naming the size", len(big), allowed, code, msg)
	}
}

func TestLimitRefusesOtherMethods(t *testing.T) {
	srv := limitedValidator(t, webhook.AdmissionLimits)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d, want 405", resp.StatusCode)
	}
}

// TestLimitCutsSlowClients sends half a body and then nothing: the server must end the
// request by itself instead of waiting for the rest.
func TestLimitCutsSlowClients(t *testing.T) {
	srv := limitedValidator(t, webhook.Limits{MaxBody: 1 << 20, Timeout: 300 * time.Millisecond})
	body, stall := io.Pipe()
	t.Cleanup(func() { _ = stall.Close() })
	go func() {
		_, _ = stall.Write([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","req`))
	}()
	// The client's own bound only keeps a broken server from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The transport waits for the body's writer: end it with the client's bound.
	context.AfterFunc(ctx, func() { stall.CloseWithError(ctx.Err()) })
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if ctx.Err() != nil {
		t.Fatal("the server waited for the stalled body until the client gave up")
	}
	if err != nil {
		return // the server cut the connection: what the limit is for
	}
	defer resp.Body.Close()
	if allowed, code, _ := reviewResult(t, resp); allowed || code != http.StatusBadRequest {
		t.Errorf("stalled body: allowed=%v code=%d, want refused with 400", allowed, code)
	}
}

func TestLimitPassesWellFormedReviews(t *testing.T) {
	srv := limitedValidator(t, webhook.AdmissionLimits)
	review := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE",
"kind":{"group":"external-secrets.io","version":"v1","kind":"ExternalSecret"},
"object":{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"a","namespace":"n"},
"spec":{"secretStoreRef":{"name":"s"},"data":[{"secretKey":"k","remoteRef":{"key":"k"}}]}}}}`
	resp, err := http.Post(srv.URL, "application/json", bytes.NewBufferString(review))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if allowed, code, msg := reviewResult(t, resp); !allowed {
		t.Errorf("a valid ExternalSecret: refused with %d %q", code, msg)
	}
}

// builtinProviders is the registry of every provider this build implements.
func builtinProviders() *provider.Registry {
	p, _ := builtin.Registries(nil)
	return p
}
