package previder

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func previderStore(baseURI string) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "previder", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Previder: &esv1.PreviderProvider{
			BaseURI: baseURI,
			Auth:    esv1.PreviderAuth{SecretRef: &esv1.PreviderSecretRef{AccessToken: esv1.SecretKeySelector{Name: "previder", Key: "token"}}},
		}}},
	}
}

func kubeWithToken(token string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "previder", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token)}}).Build()
}

func newClient(t *testing.T, baseURI, token string) provider.Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), previderStore(baseURI), kubeWithToken(token), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestConformance runs the provider suite against the in-process Previder API with a
// ReadOnly token. Previder keeps no versions and cannot be searched.
func TestConformance(t *testing.T) {
	f := startPrevider(t)
	store := previderStore(f.URL)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kubeWithToken("ro-token"),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.Put(key, string(value))
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.Remove(key) },
		Find:   conformance.FindNone,
	})
}

// TestPlainValueExtract checks that a value that is not a JSON object extracts as one key
// named after the remote key, as External Secrets Operator gives it.
func TestPlainValueExtract(t *testing.T) {
	f := startPrevider(t)
	f.Put("db-password", "hunter2")
	c := newClient(t, f.URL, "ro-token")
	m, err := c.GetSecretMap(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db-password"})
	if err != nil || len(m) != 1 || string(m["db-password"]) != "hunter2" {
		t.Errorf("GetSecretMap of a plain value = %v, %v", m, err)
	}
}

// TestValidateTokens checks that both token types make a store ready, and that a wrong
// token fails with a reason a user acts on, without the token in it.
func TestValidateTokens(t *testing.T) {
	f := startPrevider(t)
	for _, token := range []string{"rw-token", "ro-token"} {
		if res, err := newClient(t, f.URL, token).Validate(context.Background()); err != nil || res != esv1.ValidationResultReady {
			t.Errorf("Validate with %s = %v, %v; want Ready", token, res, err)
		}
	}
	_, err := newClient(t, f.URL, "wrong-token-value").Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not accept the access token") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("Validate with a wrong token = %v", err)
	}
}

// TestFailingServer checks that errors, garbage or no answer fail reads, never as "not
// found". A 403 to the check's listing means a ReadOnly token, which is accepted.
func TestFailingServer(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{Forbidden403IsReady: true}, func(t *testing.T, srv *httptest.Server) provider.Client {
		return newClient(t, srv.URL, "ro-token")
	})
}

func TestValidateStore(t *testing.T) {
	other := "other"
	for _, tt := range []struct {
		name  string
		store func(esv1.GenericStore)
		want  string
	}{
		{"ok", func(esv1.GenericStore) {}, ""},
		{"no auth", func(s esv1.GenericStore) { s.GetSpec().Provider.Previder.Auth.SecretRef = nil }, "auth.secretRef: required"},
		{"bad uri", func(s esv1.GenericStore) { s.GetSpec().Provider.Previder.BaseURI = "vault.previder.io" }, "baseUri"},
		{"other namespace", func(s esv1.GenericStore) {
			s.GetSpec().Provider.Previder.Auth.SecretRef.AccessToken.Namespace = &other
		}, "accessToken.namespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := previderStore("")
			tt.store(store)
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	store := previderStore("")
	if (&Provider{}).SameForEveryNamespace(store) {
		t.Error("a token ref without a namespace is the same for every namespace")
	}
	ns := "previder"
	store.GetSpec().Provider.Previder.Auth.SecretRef.AccessToken.Namespace = &ns
	if !(&Provider{}).SameForEveryNamespace(store) {
		t.Error("a token ref with a namespace is not the same for every namespace")
	}
}
