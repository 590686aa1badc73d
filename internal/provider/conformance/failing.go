package conformance

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// FailingOptions adapt RunFailingServers to a provider.
type FailingOptions struct {
	// TLS makes the servers speak HTTPS with httptest's certificate.
	TLS bool
	// Forbidden403IsReady says that Validate takes a 403 as proof that the credentials were
	// accepted (a token allowed to read but not to make the check's call).
	Forbidden403IsReady bool
}

// FailingServer builds a client of the provider against srv, a server that answers
// every request with one kind of failure.
type FailingServer func(t *testing.T, srv *httptest.Server) provider.Client

// RunFailingServers checks that a store whose server answers 401, 403, 429, 500, garbage, or
// nothing at all fails Validate, and fails reads without calling them "not found" (which
// would delete target Secrets), within the caller's deadline. A server that answers a bare
// 404 to everything (a wrong URL, a proxy's page) fails Validate too; its reads may be
// "not found", as a vendor's own 404 for a missing key is.
func RunFailingServers(t *testing.T, opts FailingOptions, build FailingServer) {
	t.Helper()
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
	}
	// release lets a hanging handler end, so its server can close.
	release := make(chan struct{})
	for _, tt := range []struct {
		name   string
		handle http.HandlerFunc
	}{
		{"unauthorized", status(http.StatusUnauthorized)},
		{"forbidden", status(http.StatusForbidden)},
		{"rate limited", status(http.StatusTooManyRequests)},
		{"server error", status(http.StatusInternalServerError)},
		{"not found everywhere", status(http.StatusNotFound)},
		{"garbage", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>a proxy</html>")) }},
		{"hang", func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tt.handle)
			if opts.TLS {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			if tt.name == "hang" {
				t.Cleanup(func() { close(release) })
			}
			c := build(t, srv)
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, err := c.Validate(ctx); err == nil && (tt.name != "forbidden" || !opts.Forbidden403IsReady) {
				t.Error("Validate succeeded")
			}
			_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "some-key"})
			if err == nil || errors.Is(err, provider.ErrNotFound) && tt.name != "not found everywhere" {
				t.Errorf("GetSecret = %v, want an error that is not ErrNotFound", err)
			}
		})
	}
}

// CheckRefusedCredentials checks a client whose credentials the backend refuses: Validate
// fails with an error that gives reason (what the user checks) and does not quote
// credential, and a read fails without being "not found", which would delete target
// Secrets.
func CheckRefusedCredentials(t *testing.T, c provider.Client, reason, credential string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Validate(ctx)
	switch {
	case err == nil:
		t.Error("Validate with refused credentials succeeded")
	case !strings.Contains(err.Error(), reason):
		t.Errorf("Validate = %v, want the reason %q", err, reason)
	case strings.Contains(err.Error(), credential):
		t.Errorf("Validate quotes the refused credential: %v", err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "x"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret with refused credentials = %v, want an error that is not ErrNotFound", err)
	}
}
