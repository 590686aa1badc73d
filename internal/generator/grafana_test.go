package generator

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

func kubeWith(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := genv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fakeclient.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

// TestGrafanaTokenLifecycle creates the service account on first use, issues a token per
// generation, and deletes exactly the token a state names through the Registry's Cleanup,
// from the resource the generation recorded.
func TestGrafanaTokenLifecycle(t *testing.T) {
	server := tokenapi.NewGrafana("admin-token", "admin", "admin-pw")
	defer server.Close()
	kube := kubeWith(t,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "grafana"},
			Data: map[string][]byte{"token": []byte("admin-token"), "password": []byte("admin-pw")}},
		&genv1alpha1.Grafana{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "dash"},
			Spec: genv1alpha1.GrafanaSpec{URL: server.URL,
				Auth:           genv1alpha1.GrafanaAuth{Token: &genv1alpha1.LocalSecretKeySelector{Name: "grafana", Key: "token"}},
				ServiceAccount: genv1alpha1.GrafanaServiceAccount{Name: "ferry bot", Role: "Viewer", SecondsToLive: ptr(int64(3600))}}},
		&genv1alpha1.Grafana{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "basic"},
			Spec: genv1alpha1.GrafanaSpec{URL: server.URL,
				Auth: genv1alpha1.GrafanaAuth{Basic: &genv1alpha1.GrafanaBasicAuth{Username: "admin",
					Password: genv1alpha1.LocalSecretKeySelector{Name: "grafana", Key: "password"}}},
				ServiceAccount: genv1alpha1.GrafanaServiceAccount{Name: "ferry bot", Role: "Viewer"}}})
	registry := NewRegistry(NewGrafana())
	ctx := context.Background()
	first, err := registry.GenerateState(ctx, kube, kube, esv1.GeneratorRef{Kind: "Grafana", Name: "dash"}, "team")
	if err != nil {
		t.Fatal(err)
	}
	second, err := registry.GenerateState(ctx, kube, kube, esv1.GeneratorRef{Kind: "Grafana", Name: "basic"}, "team")
	if err != nil {
		t.Fatal(err)
	}
	tokens := server.Tokens()
	if len(tokens) != 2 || len(server.Accounts()) != 1 {
		t.Fatalf("%d tokens on %v; want 2 on one account", len(tokens), server.Accounts())
	}
	if string(first.Values["login"]) != "sa-1-ferry-bot" || !hasKey(tokens, string(first.Values["token"]), 3600) {
		t.Errorf("first generation: login %s, token not the one issued with its lifetime", first.Values["login"])
	}
	if !strings.Contains(string(first.State), `"tokenID"`) || !strings.Contains(string(first.Resource), `"kind":"Grafana"`) {
		t.Errorf("state %s / resource %s", first.State, first.Resource)
	}

	if err := registry.Cleanup(ctx, kube, first.Resource, first.State, "team"); err != nil {
		t.Fatal(err)
	}
	tokens = server.Tokens()
	if len(tokens) != 1 || !hasKey(tokens, string(second.Values["token"]), 0) {
		t.Errorf("cleanup did not delete exactly the first token: %d left", len(tokens))
	}
	// A token already gone is no error: cleanup may be retried.
	if err := registry.Cleanup(ctx, kube, first.Resource, first.State, "team"); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
	if err := registry.Cleanup(ctx, kube, []byte(`{"kind":"Grafana","spec":{}}`), []byte(`{}`), "team"); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("cleanup of a broken state: %v, want an invalid spec", err)
	}
}

func hasKey(tokens map[int64]tokenapi.GrafanaToken, key string, ttl int64) bool {
	for _, tok := range tokens {
		if tok.Key == key && tok.SecondsToLive == ttl {
			return true
		}
	}
	return false
}
