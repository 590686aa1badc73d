package aws

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestAssumedCredentialsAreRemembered reads through a store that assumes a role (moto's
// STS issues the session) from a Secrets Manager that refuses with a message quoting the
// request's session token, as a misconfigured proxy or a verbose backend may. The error
// Ferry builds from it must not carry the token once it passes the process's redaction:
// the credentials the SDK obtained are remembered when they are fetched. (Checked: with
// cache() not wrapping in remembered, the token reaches the message.)
func TestAssumedCredentialsAreRemembered(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	target, err := url.Parse(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var echoed []string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.") {
			forward.ServeHTTP(w, r) // STS: moto issues the role's session
			return
		}
		token := r.Header.Get("X-Amz-Security-Token")
		mu.Lock()
		echoed = append(echoed, token)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":"session token %s may not read this secret"}`, token)
	}))
	t.Cleanup(echo.Close)

	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth(),
		Role: "arn:aws:iam::123456789012:role/echoed"})
	c, err := New(WithEndpoint(echo.URL)).NewClient(testContext(t), store, controlPlane.Client, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	_, readErr := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: "db"})
	mu.Lock()
	defer mu.Unlock()
	if readErr == nil || len(echoed) == 0 || echoed[0] == "" {
		t.Fatalf("GetSecret = %v after %d requests with a session token; want the echoing refusal", readErr, len(echoed))
	}
	if !strings.Contains(readErr.Error(), echoed[0]) {
		t.Fatalf("the refusal does not quote the token, so this test shows nothing: %v", readErr)
	}
	if msg := (*redact.Set)(nil).Message(readErr); strings.Contains(msg, echoed[0]) {
		t.Errorf("the assumed role's session token reached a message: %s", msg)
	}
}
