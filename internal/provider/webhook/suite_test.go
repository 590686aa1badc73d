package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// controlPlane serves the Secrets whose keys the stores' templates use, and the objects of
// the operator tests.
var controlPlane *testenv.ControlPlane

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) {
		controlPlane = cp
		// A Ferry operator serving only this provider, for operator_test.go.
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(New())})
	}))
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// secretServer is a small secrets API on loopback, the kind of endpoint users put behind
// the webhook provider: GET /secrets/<key>[?version=N] answers {"data": {...}, "version": N}
// to requests that carry its bearer token, 404 for unknown keys.
type secretServer struct {
	*httptest.Server
	token string

	mu       sync.Mutex
	versions map[string][]map[string]string
	requests []*http.Request
	bodies   []string
}

func newSecretServer(t *testing.T, token string, tlsServer bool) *secretServer {
	t.Helper()
	s := &secretServer{token: token, versions: map[string][]map[string]string{}}
	handler := http.HandlerFunc(s.serve)
	if tlsServer {
		s.Server = httptest.NewTLSServer(handler)
	} else {
		s.Server = httptest.NewServer(handler)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *secretServer) put(key string, data map[string]string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[key] = append(s.versions[key], data)
	return len(s.versions[key])
}

func (s *secretServer) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.versions, key)
}

func (s *secretServer) serve(w http.ResponseWriter, r *http.Request) {
	body := new(strings.Builder)
	if r.Body != nil {
		buf := make([]byte, 4096)
		n, _ := r.Body.Read(buf)
		body.Write(buf[:n])
	}
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	s.bodies = append(s.bodies, body.String())
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/slow":
		time.Sleep(2 * time.Second)
	case r.URL.Path == "/items":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[{"name":"db","value":"v-db"},{"name":"cache","value":"v-cache","n":{"a":1}}]}`))
		return
	case r.URL.Path == "/broken":
		// An error page that echoes what it got, as some servers do.
		http.Error(w, "internal error for "+r.Header.Get("Authorization"), http.StatusInternalServerError)
		return
	case strings.HasPrefix(r.URL.Path, "/secrets/"):
		s.serveSecret(w, r, strings.TrimPrefix(r.URL.Path, "/secrets/"))
		return
	}
	http.NotFound(w, r)
}

func (s *secretServer) serveSecret(w http.ResponseWriter, r *http.Request, key string) {
	s.mu.Lock()
	versions := s.versions[key]
	s.mu.Unlock()
	n := len(versions)
	if v := r.URL.Query().Get("version"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if n < 1 || n > len(versions) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": versions[n-1], "version": n})
}

// tokenSecret creates the Secret "api" holding the server's bearer token in ns, labelled
// for webhook stores.
func tokenSecret(t *testing.T, ns, token string) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api", Labels: map[string]string{SecretLabel: SecretLabelValue}},
		StringData: map[string]string{"token": token}}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatal(err)
	}
}

// storeFor is a SecretStore in ns that reads s the way a user would configure it.
func storeFor(ns string, s *secretServer) *esv1.SecretStore {
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{
			URL:     s.URL + "/secrets/{{ .remoteRef.key }}{{ with .remoteRef.version }}?version={{ . }}{{ end }}",
			Headers: map[string]string{"Authorization": "Bearer {{ .auth.token }}"},
			Result: esv1.WebhookResult{
				JSONPath: "{{ if .remoteRef.property }}$.data.{{ .remoteRef.property }}{{ else }}$.data{{ end }}",
			},
			Secrets: []esv1.WebhookSecret{{Name: "auth", SecretRef: esv1.SecretKeySelector{Name: "api"}}},
		}}},
	}
}

func newClient(t *testing.T, store esv1.GenericStore, ns string) provider.Client {
	t.Helper()
	c, err := New().NewClient(testContext(t), store, controlPlane.Client, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}
