package webhook

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/webhook/ntlm/ntlmfake"
	"github.com/ferryhq/ferry/internal/testenv"
)

// ntlmAccount is the user the NTLM servers of these tests know.
var ntlmAccount = ntlmfake.Account{Domain: "CORP", User: "svc-ferry", Password: "ntlm-Passw0rd-value"}

// keyValueAPI is what stands behind the NTLM servers: GET /secrets/<key> answers
// {"value": ...}, 404 for an unknown key; POST and PUT store the body as the key's value,
// DELETE removes it.
type keyValueAPI struct {
	mu     sync.Mutex
	values map[string]string
}

func newKeyValueAPI(values map[string]string) *keyValueAPI { return &keyValueAPI{values: values} }

func (a *keyValueAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/secrets/")
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		body, _ := io.ReadAll(r.Body)
		a.values[key] = string(body)
	case http.MethodGet:
		v, ok := a.values[key]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": v})
	case http.MethodDelete:
		delete(a.values, key)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (a *keyValueAPI) value(key string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.values[key]
}

// startNTLM serves api behind an NTLM server for ntlmAccount.
func startNTLM(t *testing.T, api http.Handler, opts ...ntlmfake.Option) (*ntlmfake.Server, *httptest.Server) {
	t.Helper()
	guard := ntlmfake.New(ntlmAccount, api, opts...)
	srv := httptest.NewServer(guard)
	t.Cleanup(srv.Close)
	return guard, srv
}

// ntlmSecret creates the Secret name in ns holding an NTLM user name and password under
// "username" and "password", labelled for webhook stores when labelled is set.
func ntlmSecret(t *testing.T, ns, name, user, password string, labelled bool) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		StringData: map[string]string{"username": user, "password": password}}
	if labelled {
		secret.Labels = map[string]string{SecretLabel: SecretLabelValue}
	}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatal(err)
	}
}

// ntlmStore is a SecretStore in ns reading url/secrets/<key> with the credentials of the
// Secret credentials.
func ntlmStore(ns, url, credentials string) *esv1.SecretStore {
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ntlm-" + credentials},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{
			URL:    url + "/secrets/{{ .remoteRef.key }}",
			Result: esv1.WebhookResult{JSONPath: "$.value"},
			Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
				UserName: esv1.SecretKeySelector{Name: credentials, Key: "username"},
				Password: esv1.SecretKeySelector{Name: credentials, Key: "password"},
			}},
		}}},
	}
}

// ntlmPushStore is ntlmStore for pushes, whose url names .remoteRef.remoteKey.
func ntlmPushStore(ns, url, credentials string) *esv1.SecretStore {
	store := ntlmStore(ns, url, credentials)
	store.Name = "ntlm-push-" + credentials
	store.Spec.Provider.Webhook.URL = url + "/secrets/{{ .remoteRef.remoteKey }}"
	return store
}

// TestNTLM reads and pushes through an NTLM server that verifies each handshake from the
// account's password: the right password reads the value, with the whole handshake on one
// connection; a pushed body reaches the endpoint intact after a handshake; a wrong password
// is an error that says so and quotes no credential.
func TestNTLM(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	api := newKeyValueAPI(map[string]string{"db/password": "s3cr3t-db-value"})
	guard, srv := startNTLM(t, api, ntlmfake.PerRequest())
	ntlmSecret(t, ns, "ntlm", `CORP\svc-ferry`, ntlmAccount.Password, true)
	ntlmSecret(t, ns, "wrong", `CORP\svc-ferry`, "not-the-password", true)
	ctx := testContext(t)
	c := newClient(t, ntlmStore(ns, srv.URL, "ntlm"), ns)

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db/password"})
	if err != nil || string(got) != "s3cr3t-db-value" {
		t.Fatalf("GetSecret = %q, %v; want the value", got, err)
	}
	read := guard.Exchanges()
	if len(read) != 3 || read[1].Message != 1 || read[2].Message != 3 || !read[2].Passed ||
		read[0].RemoteAddr != read[1].RemoteAddr || read[1].RemoteAddr != read[2].RemoteAddr {
		t.Errorf("the read's exchanges %+v, want a probe, NEGOTIATE and AUTHENTICATE on one connection", read)
	}

	const pushed = `{"user":"app","password":"pushed-value"}`
	pusher := newClient(t, ntlmPushStore(ns, srv.URL, "ntlm"), ns).(provider.Writer)
	if err := pusher.PushSecret(ctx, []byte(pushed), provider.PushRef{RemoteKey: "app"}); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	if v := api.value("app"); v != pushed {
		t.Errorf("the endpoint stored %q, want the pushed value", v)
	}
	for _, ex := range guard.Exchanges()[len(read):] {
		if ex.Body != pushed {
			t.Errorf("push message %d arrived with body %q", ex.Message, ex.Body)
		}
	}

	_, err = newClient(t, ntlmStore(ns, srv.URL, "wrong"), ns).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db/password"})
	switch {
	case err == nil || errors.Is(err, provider.ErrNotFound):
		t.Fatalf("GetSecret with a wrong password = %v, want a refusal", err)
	case !strings.Contains(err.Error(), "refused the NTLM credentials"):
		t.Errorf("the error %q does not say the credentials were refused", err)
	case strings.Contains(err.Error(), "not-the-password") || strings.Contains(err.Error(), ntlmAccount.Password):
		t.Errorf("the error quotes a password: %v", err)
	}
}

// TestNTLMCredentials: the credential Secrets must carry the webhook label (nothing is
// sent otherwise), name an existing key, and a ClusterSecretStore reads them in the
// namespace its refs name; an https endpoint is verified with caBundle (ESO's NTLM client
// drops it).
func TestNTLMCredentials(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	api := newKeyValueAPI(map[string]string{"k": "v"})
	guard := ntlmfake.New(ntlmAccount, api)
	srv := httptest.NewTLSServer(guard)
	t.Cleanup(srv.Close)
	ntlmSecret(t, ns, "unlabelled", `CORP\svc-ferry`, ntlmAccount.Password, false)
	ntlmSecret(t, ns, "ntlm", "svc-ferry", ntlmAccount.Password, true)
	ctx := testContext(t)

	_, err := New().NewClient(ctx, ntlmStore(ns, srv.URL, "unlabelled"), controlPlane.Client, ns)
	if err == nil || !strings.Contains(err.Error(), "spec.provider.webhook.auth.ntlm.usernameSecret: Secret "+ns+"/unlabelled does not carry the label") {
		t.Errorf("NewClient with an unlabelled Secret = %v, want the label asked for", err)
	}
	missingKey := ntlmStore(ns, srv.URL, "ntlm")
	missingKey.Spec.Provider.Webhook.Auth.NTLM.Password.Key = "pass"
	_, err = New().NewClient(ctx, missingKey, controlPlane.Client, ns)
	if err == nil || !strings.Contains(err.Error(), `spec.provider.webhook.auth.ntlm.passwordSecret: Secret ntlm has no key "pass"`) {
		t.Errorf("NewClient with a missing key = %v, want the key named", err)
	}
	if n := len(guard.Exchanges()); n != 0 {
		t.Errorf("the endpoint received %d requests", n)
	}

	cluster := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "ntlm-" + ns},
		Spec: *ntlmStore(ns, srv.URL, "ntlm").Spec.DeepCopy()}
	cluster.Spec.Provider.Webhook.CABundle = pemOf(srv)
	auth := cluster.Spec.Provider.Webhook.Auth.NTLM
	auth.UserName.Namespace, auth.Password.Namespace = &ns, &ns
	other := testenv.Namespace(t, controlPlane.Client, nil)
	got, err := newClient(t, cluster, other).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "k"})
	if err != nil || string(got) != "v" {
		t.Errorf("GetSecret through a ClusterSecretStore over TLS = %q, %v; want v", got, err)
	}
}

// pemOf is the TLS test server's certificate, as a caBundle holds it.
func pemOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}
