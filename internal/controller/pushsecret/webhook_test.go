package pushsecret_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// received is one request the push endpoint answered.
type received struct {
	method, path, auth, sourceKey, contentType, body string
}

// pushEndpoint is a small secrets API on loopback of the kind users put behind the webhook
// provider: PUT or POST /v1/secrets/<key> stores the body, GET answers 200 or 404, DELETE
// removes; every request must carry the bearer token.
type pushEndpoint struct {
	*httptest.Server
	mu       sync.Mutex
	stored   map[string]string
	requests []received
}

func newPushEndpoint(t *testing.T, token string) *pushEndpoint {
	t.Helper()
	e := &pushEndpoint{stored: map[string]string{}}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.requests = append(e.requests, received{method: r.Method, path: r.URL.EscapedPath(), auth: r.Header.Get("Authorization"),
			sourceKey: r.Header.Get("X-Source-Key"), contentType: r.Header.Get("Content-Type"), body: string(body)})
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		key := strings.TrimPrefix(r.URL.EscapedPath(), "/v1/secrets/")
		switch r.Method {
		case http.MethodPut, http.MethodPost:
			e.stored[key] = string(body)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodGet:
			if _, ok := e.stored[key]; !ok {
				w.WriteHeader(http.StatusNotFound)
			}
		case http.MethodDelete:
			if _, ok := e.stored[key]; !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			delete(e.stored, key)
		}
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *pushEndpoint) value(key string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.stored[key]
	return v, ok
}

func (e *pushEndpoint) log() []received {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]received(nil), e.requests...)
}

// webhookStore creates a webhook SecretStore at url, authenticated by a labelled Secret.
func webhookStore(t *testing.T, ns, name, url, method, body string) {
	t.Helper()
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{
			URL: url, Method: method, Body: body,
			Headers: map[string]string{"Authorization": "Bearer {{ .auth.token }}", "X-Source-Key": "{{ .remoteRef.secretKey }}",
				"Content-Type": "application/json"},
			Secrets: []esv1.WebhookSecret{{Name: "auth", SecretRef: esv1.SecretKeySelector{Name: "endpoint-token"}}},
		}}}}
	create(t, store)
	waitStoreReadyOrUnknown(t, store)
}

// waitStoreReadyOrUnknown waits for the store's first status: a webhook store cannot be
// validated without a key, so it is not Ready=False either.
func waitStoreReadyOrUnknown(t *testing.T, store *esv1.SecretStore) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "store status", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.Status.Conditions {
			return c.Status != metav1.ConditionFalse, nil
		}
		return false, nil
	})
}

// TestPushThroughWebhook pushes through webhook stores to a real HTTP endpoint: the
// request carries the value in the body template (or as the body), the store's method,
// templated headers and the escaped remote key in the url; IfNotExists asks with GET
// first; deletionPolicy Delete sends DELETE; and the value reaches no status or event.
func TestPushThroughWebhook(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	endpoint := newPushEndpoint(t, "tok-123")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "endpoint-token",
		Labels: map[string]string{"external-secrets.io/type": "webhook"}}, Data: map[string][]byte{"token": []byte("tok-123")}})
	url := endpoint.URL + "/v1/secrets/{{ .remoteRef.remoteKey }}"
	webhookStore(t, ns, "templated", url, "PUT", `{"value": {{ index .remoteRef .remoteRef.remoteKey | toJson }}}`)
	webhookStore(t, ns, "raw", url, "", "")
	const value = `s3cr3t "quoted" value`
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte(value), "user": []byte("svc")}}
	create(t, source)

	ps := pushSecret(ns, "push", "templated", esv1alpha1.PushSecretDeletionPolicyDelete,
		entry("password", "app/db", ""), entry("user", "app/user", ""))
	ps.Spec.SecretStoreRefs = append(ps.Spec.SecretStoreRefs, esv1alpha1.PushSecretStoreRef{Name: "raw", Kind: esv1.SecretStoreKind})
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	// Both stores write the same endpoint here; the last request per key tells which.
	var templated, raw *received
	for _, r := range endpoint.log() {
		if r.path != "/v1/secrets/app%2Fdb" {
			continue
		}
		r := r
		switch r.method {
		case http.MethodPut:
			templated = &r
		case http.MethodPost:
			raw = &r
		}
	}
	if templated == nil || raw == nil {
		t.Fatalf("requests for app/db: %+v; want a PUT (spec.method) and a POST (the push default)", endpoint.log())
	}
	if templated.body != `{"value": "s3cr3t \"quoted\" value"}` {
		t.Errorf("templated body = %s", templated.body)
	}
	if raw.body != value {
		t.Errorf("body without a template = %q, want the value", raw.body)
	}
	for _, r := range []*received{templated, raw} {
		if r.auth != "Bearer tok-123" || r.sourceKey != "password" || r.contentType != "application/json" {
			t.Errorf("%s headers: auth %q, X-Source-Key %q, Content-Type %q", r.method, r.auth, r.sourceKey, r.contentType)
		}
	}
	if len(ps.Status.SyncedPushSecrets["SecretStore/templated"]) != 2 || len(ps.Status.SyncedPushSecrets["SecretStore/raw"]) != 2 {
		t.Errorf("status.syncedPushSecrets = %v", ps.Status.SyncedPushSecrets)
	}
	assertNotLeaked(t, ps, "s3cr3t")

	// An entry removed from the spec is deleted with DELETE, on both stores.
	before := len(endpoint.log())
	update(t, ps, func(ps *esv1alpha1.PushSecret) { ps.Spec.Data = ps.Spec.Data[:1] })
	testenv.Eventually(t, 20*time.Second, "app/user deleted", func() (bool, error) {
		_, ok := endpoint.value("app%2Fuser")
		return !ok, nil
	})
	deletes := 0
	for _, r := range endpoint.log()[before:] {
		if r.method == http.MethodDelete && r.path == "/v1/secrets/app%2Fuser" && r.auth == "Bearer tok-123" && r.body == "" {
			deletes++
		}
	}
	if deletes != 2 {
		t.Errorf("%d DELETE requests for app/user (with the headers, no body), want one per store", deletes)
	}

	// IfNotExists asks with GET and leaves a key someone else wrote alone.
	endpoint.mu.Lock()
	endpoint.stored["app%2Ftheirs"] = "theirs"
	endpoint.mu.Unlock()
	before = len(endpoint.log())
	update(t, ps, func(ps *esv1alpha1.PushSecret) {
		ps.Spec.UpdatePolicy = esv1alpha1.PushSecretUpdatePolicyIfNotExists
		ps.Spec.SecretStoreRefs = ps.Spec.SecretStoreRefs[:1]
		ps.Spec.Data = append(ps.Spec.Data, entry("user", "app/theirs", ""), entry("user", "app/other", ""))
	})
	testenv.Eventually(t, 20*time.Second, "app/other pushed", func() (bool, error) {
		_, ok := endpoint.value("app%2Fother")
		return ok, nil
	})
	waitPushReady(t, ps, metav1.ConditionTrue)
	asked := false
	for _, r := range endpoint.log()[before:] {
		switch {
		case r.path != "/v1/secrets/app%2Ftheirs":
		case r.method == http.MethodGet:
			asked = r.auth == "Bearer tok-123" && r.body == ""
		default:
			t.Errorf("IfNotExists sent %s to a key that exists", r.method)
		}
	}
	if v, _ := endpoint.value("app%2Ftheirs"); !asked || v != "theirs" {
		t.Errorf("IfNotExists: asked with GET %v, value now %q", asked, v)
	}

	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "everything pushed deleted with the PushSecret", func() (bool, error) {
		_, db := endpoint.value("app%2Fdb")
		_, other := endpoint.value("app%2Fother")
		return !db && !other, nil
	})
	if v, _ := endpoint.value("app%2Ftheirs"); v != "theirs" {
		t.Errorf("a key the PushSecret left alone was deleted")
	}
}

// TestWebhookPushFailureIsReported reports an endpoint that refuses the push on the
// condition, with the status but not the value.
func TestWebhookPushFailureIsReported(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	endpoint := newPushEndpoint(t, "the-right-token")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "endpoint-token",
		Labels: map[string]string{"external-secrets.io/type": "webhook"}}, Data: map[string][]byte{"token": []byte("a-wrong-token")}})
	webhookStore(t, ns, "hook", endpoint.URL+"/v1/secrets/{{ .remoteRef.remoteKey }}", "", "")
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("never-shown-value")}})
	ps := pushSecret(ns, "push", "hook", esv1alpha1.PushSecretDeletionPolicyNone, entry("password", "k", ""))
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionFalse)
	if !strings.Contains(msg, "401 Unauthorized") || !strings.Contains(msg, `"k"`) {
		t.Errorf("condition message %q does not say the endpoint refused key k", msg)
	}
	assertNotLeaked(t, ps, "never-shown-value")
	assertNotLeaked(t, ps, "a-wrong-token")
}
