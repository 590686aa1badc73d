package webhook

import (
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

func TestRequestAndResult(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	server := newSecretServer(t, "tok", false)
	tokenSecret(t, ns, "tok")
	server.put("app/db", map[string]string{"user": "admin", "list": `x`})
	ctx := testContext(t)

	t.Run("key is URL-escaped", func(t *testing.T) {
		got, err := newClient(t, storeFor(ns, server), ns).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "app/db", Property: "user"})
		if err != nil || string(got) != "admin" {
			t.Fatalf("GetSecret = %q, %v; want admin", got, err)
		}
		server.mu.Lock()
		last := server.requests[len(server.requests)-1]
		server.mu.Unlock()
		if last.URL.EscapedPath() != "/secrets/app%2Fdb" {
			t.Errorf("request path = %q, want the key escaped as one segment", last.URL.EscapedPath())
		}
	})
	t.Run("POST with a templated body", func(t *testing.T) {
		store := storeFor(ns, server)
		w := store.Spec.Provider.Webhook
		w.Method = "POST"
		w.URL = server.URL + "/secrets/{{ .remoteRef.key | urlquery }}"
		w.Body = `{"key":"{{ .remoteRef.key }}","by":"{{ .auth.token | b64enc }}"}`
		w.Result.JSONPath = ""
		server.put("plain", map[string]string{"v": "1"})
		got, err := newClient(t, store, ns).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "plain"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), `"data":{"v":"1"}`) {
			t.Errorf("whole body = %s", got)
		}
		if body := server.bodies[len(server.bodies)-1]; body != `{"key":"plain","by":"dG9r"}` {
			t.Errorf("request body = %s", body)
		}
	})
	t.Run("jsonPath filter", func(t *testing.T) {
		store := storeFor(ns, server)
		w := store.Spec.Provider.Webhook
		w.URL = server.URL + "/items"
		w.Result.JSONPath = `$.items[?(@.name=="{{ .remoteRef.key }}")].value`
		c := newClient(t, store, ns)
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "cache"})
		if err != nil || string(got) != "v-cache" {
			t.Errorf("GetSecret = %q, %v; want v-cache", got, err)
		}
		w.Result.JSONPath = `$.items[?(@.name=="{{ .remoteRef.key }}")].n`
		m, err := newClient(t, store, ns).GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "cache"})
		if err != nil || string(m["a"]) != "1" {
			t.Errorf("GetSecretMap = %v, %v; want a=1", m, err)
		}
		_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "nothing"})
		if err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("a jsonPath that selects nothing = %v, want an error other than ErrNotFound", err)
		}
	})
}

func TestTLS(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	server := newSecretServer(t, "tok", true)
	tokenSecret(t, ns, "tok")
	server.put("db", map[string]string{"user": "admin"})
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": caPEM}}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatal(err)
	}
	ref := esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"}

	untrusted := storeFor(ns, server)
	if _, err := newClient(t, untrusted, ns).GetSecret(testContext(t), ref); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GetSecret from an untrusted server = %v, want a certificate error", err)
	}
	bundle := storeFor(ns, server)
	bundle.Spec.Provider.Webhook.CABundle = caPEM
	caProvider := storeFor(ns, server)
	caProvider.Spec.Provider.Webhook.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeSecret, Name: "ca", Key: "ca.crt"}
	for name, store := range map[string]*esv1.SecretStore{"caBundle": bundle, "caProvider": caProvider} {
		got, err := newClient(t, store, ns).GetSecret(testContext(t), ref)
		if err != nil || string(got) != "admin" {
			t.Errorf("%s: GetSecret = %q, %v; want admin", name, got, err)
		}
	}
}

// TestFailuresNeverQuoteSecrets checks the errors of a failing endpoint, a timeout and a
// failing template: none may quote the token the templates use.
func TestFailuresNeverQuoteSecrets(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	const token = "very-secret-token-value"
	server := newSecretServer(t, token, false)
	tokenSecret(t, ns, token)
	ctx := testContext(t)

	broken := storeFor(ns, server)
	broken.Spec.Provider.Webhook.URL = server.URL + "/broken?t={{ .auth.token }}"
	slow := storeFor(ns, server)
	slow.Spec.Provider.Webhook.URL = server.URL + "/slow?t={{ .auth.token }}"
	slow.Spec.Provider.Webhook.Timeout = &metav1.Duration{Duration: 200 * time.Millisecond}
	failing := storeFor(ns, server)
	failing.Spec.Provider.Webhook.Headers["X-Fail"] = `{{ fail .auth.token }}`
	unreachable := storeFor(ns, server)
	unreachable.Spec.Provider.Webhook.URL = "http://127.0.0.1:1/x?t={{ .auth.token }}"

	for name, store := range map[string]*esv1.SecretStore{
		"server error": broken, "timeout": slow, "template": failing, "unreachable": unreachable,
	} {
		_, err := newClient(t, store, ns).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"})
		switch {
		case err == nil:
			t.Errorf("%s: no error", name)
		case errors.Is(err, provider.ErrNotFound):
			t.Errorf("%s: %v is ErrNotFound", name, err)
		case strings.Contains(err.Error(), token):
			t.Errorf("%s: the error quotes the token: %v", name, err)
		}
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	tests := []struct {
		name string
		spec esv1.WebhookProvider
		want string
		// admitted: ESO admits the mistake, so it is a warning at admission.
		admitted bool
	}{
		{name: "minimal", spec: esv1.WebhookProvider{URL: "https://x/{{ .remoteRef.key }}"}},
		{name: "no url", spec: esv1.WebhookProvider{}, want: "spec.provider.webhook.url: required"},
		{name: "bad template", spec: esv1.WebhookProvider{URL: "https://x/{{ .remoteRef.key "}, want: "spec.provider.webhook.url:"},
		{name: "bad header template", spec: esv1.WebhookProvider{URL: "https://x", Headers: map[string]string{"A": "{{ nofunc }}"}},
			want: "spec.provider.webhook.headers.A:"},
		{name: "bad method", spec: esv1.WebhookProvider{URL: "https://x", Method: "FETCH"}, want: "spec.provider.webhook.method:"},
		{name: "secret without name", spec: esv1.WebhookProvider{URL: "https://x", Secrets: []esv1.WebhookSecret{{SecretRef: esv1.SecretKeySelector{Name: "s"}}}},
			want: "spec.provider.webhook.secrets[0].name: required"},
		{name: "secret named remoteRef", spec: esv1.WebhookProvider{URL: "https://x", Secrets: []esv1.WebhookSecret{{Name: "remoteRef", SecretRef: esv1.SecretKeySelector{Name: "s"}}}},
			want: "spec.provider.webhook.secrets[0].name:"},
		{name: "another namespace's Secret", spec: esv1.WebhookProvider{URL: "https://x", Secrets: []esv1.WebhookSecret{{Name: "a",
			SecretRef: esv1.SecretKeySelector{Name: "s", Namespace: &other}}}},
			want: "spec.provider.webhook.secrets[0].secretRef.namespace: a SecretStore may only reference its own namespace"},
		{name: "ntlm", spec: esv1.WebhookProvider{URL: "https://x", Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
			UserName: esv1.SecretKeySelector{Name: "ntlm", Key: "user"}, Password: esv1.SecretKeySelector{Name: "ntlm", Key: "password"}}}}},
		{name: "ntlm without the user name's Secret", spec: esv1.WebhookProvider{URL: "https://x", Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
			UserName: esv1.SecretKeySelector{Key: "user"}, Password: esv1.SecretKeySelector{Name: "ntlm", Key: "password"}}}},
			want: "spec.provider.webhook.auth.ntlm.usernameSecret.name: required", admitted: true},
		{name: "ntlm without the password's key", spec: esv1.WebhookProvider{URL: "https://x", Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
			UserName: esv1.SecretKeySelector{Name: "ntlm", Key: "user"}, Password: esv1.SecretKeySelector{Name: "ntlm"}}}},
			want: "spec.provider.webhook.auth.ntlm.passwordSecret.key: required", admitted: true},
		{name: "ntlm in another namespace", spec: esv1.WebhookProvider{URL: "https://x", Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
			UserName: esv1.SecretKeySelector{Name: "ntlm", Key: "user"}, Password: esv1.SecretKeySelector{Name: "ntlm", Key: "password", Namespace: &other}}}},
			want: "spec.provider.webhook.auth.ntlm.passwordSecret.namespace: a SecretStore may only reference its own namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "s"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: &spec}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want an error containing %q", err, tt.want)
			case tt.want != "" && errors.Is(err, provider.ErrAdmittedMistake) != tt.admitted:
				t.Errorf("ValidateStore = %v: admitted mistake %v, want %v", err, !tt.admitted, tt.admitted)
			}
		})
	}
}

// TestUnlabelledSecretsAreNotSent: a Secret listed under secrets without the label
// external-secrets.io/type=webhook is not read into the templates, so its value never
// reaches the endpoint (External Secrets Operator's GHSA-q7hv-xx6h-q2x8 is a regression of
// this very check). Taking LabelledSecretData out of NewClient makes this test fail.
func TestUnlabelledSecretsAreNotSent(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	server := newSecretServer(t, "unlabelled-token", false)
	server.put("app", map[string]string{"v": "x"})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"token": "unlabelled-token"}}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatal(err)
	}
	_, err := New().NewClient(testContext(t), storeFor(ns, server), controlPlane.Client, ns)
	if err == nil || !strings.Contains(err.Error(), "external-secrets.io/type=webhook") {
		t.Fatalf("NewClient = %v, want a refusal naming the label", err)
	}
	server.mu.Lock()
	defer server.mu.Unlock()
	if len(server.requests) != 0 {
		t.Errorf("the endpoint received %d requests", len(server.requests))
	}
}
