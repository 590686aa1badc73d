package storeref_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/storeref"
)

func ready(status metav1.ConditionStatus, reason, msg string) esv1.SecretStoreStatus {
	return esv1.SecretStoreStatus{Conditions: []esv1.SecretStoreStatusCondition{
		{Type: esv1.SecretStoreReady, Status: status, Reason: reason, Message: msg}}}
}

// TestResolverGet states the rules every controller and the CLI share, one row each.
func TestResolverGet(t *testing.T) {
	scheme := runtime.NewScheme()
	_ = esv1.AddToScheme(scheme)
	_ = corev1.AddToScheme(scheme)
	ok := ready(metav1.ConditionTrue, esv1.ReasonStoreValid, "")
	objects := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"tier": "a"}}},
		&esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "good"}, Status: ok},
		&esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "theirs"},
			Spec: esv1.SecretStoreSpec{Controller: "eso"}, Status: ok},
		&esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "unvalidated"}},
		&esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "failing"},
			Status: ready(metav1.ConditionFalse, esv1.ReasonValidationFailed, "access denied")},
		&esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "doppler"},
			Status: ready(metav1.ConditionFalse, esv1.ReasonProviderNotImplemented, "Ferry does not implement the doppler provider yet")},
		&esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "shared"}, Status: ok},
		&esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "team-b-only"},
			Spec:   esv1.SecretStoreSpec{Conditions: []esv1.ClusterSecretStoreCondition{{Namespaces: []esv1.NamespaceName{"team-b"}}}},
			Status: ok},
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithRuntimeObjects(objects...).Build()
	// A cache that has not seen any store yet, as when a store and its ExternalSecret are
	// created together: Live, the API server, has them.
	lagging := fake.NewClientBuilder().WithScheme(scheme).WithRuntimeObjects(objects[0]).Build()
	ss := func(name string) storeref.Key { return storeref.Key{Kind: esv1.SecretStoreKind, Name: name} }
	css := func(name string) storeref.Key { return storeref.Key{Kind: esv1.ClusterSecretStoreKind, Name: name} }
	tests := []struct {
		name     string
		resolver storeref.Resolver
		key      storeref.Key
		reason   string // "" means usable
		message  string // a fragment of the message
	}{
		{"ready store", storeref.Resolver{}, ss("good"), "", ""},
		{"ready ClusterSecretStore", storeref.Resolver{}, css("shared"), "", ""},
		{"missing", storeref.Resolver{}, ss("nope"), esv1.ReasonStoreNotFound, "not found in namespace team-a"},
		{"missing, non-default instance", storeref.Resolver{ControllerClass: "ferry"}, ss("nope"), failure.ReasonNotOurs, ""},
		{"another class", storeref.Resolver{}, ss("theirs"), failure.ReasonNotOurs, `class "eso"`},
		{"not validated yet", storeref.Resolver{}, ss("unvalidated"), esv1.ReasonStoreNotReady, "not been validated"},
		{"failed validation", storeref.Resolver{}, ss("failing"), esv1.ReasonStoreNotReady, "access denied"},
		{"provider not implemented", storeref.Resolver{}, ss("doppler"), esv1.ReasonProviderNotImplemented, "doppler provider"},
		{"other namespaces only", storeref.Resolver{}, css("team-b-only"), esv1.ReasonStoreNotAllowed, "does not serve namespace team-a"},
		{"single-namespace mode", storeref.Resolver{Namespaces: []string{"team-a"}}, css("shared"), esv1.ReasonStoreNotAllowed, "serves only namespace team-a (--namespaces)"},
		{"namespaces mode", storeref.Resolver{Namespaces: []string{"team-a", "team-b"}}, css("shared"), esv1.ReasonStoreNotAllowed, "serves only namespaces team-a, team-b (--namespaces)"},
		{"no name", storeref.Resolver{}, ss(""), esv1.ReasonInvalidSpec, "without a name"},
		{"cache behind, another class", storeref.Resolver{Reader: lagging, Live: reader}, ss("theirs"), failure.ReasonNotOurs, `class "eso"`},
		{"cache behind, ours", storeref.Resolver{Reader: lagging, Live: reader}, ss("good"), "", ""},
		{"cache behind, missing", storeref.Resolver{Reader: lagging, Live: reader}, ss("nope"), esv1.ReasonStoreNotFound, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resolver.Reader == nil {
				tt.resolver.Reader = reader
			}
			store, err := tt.resolver.Get(context.Background(), tt.key, "team-a")
			if tt.reason == "" {
				if err != nil || store == nil || store.GetName() != tt.key.Name {
					t.Fatalf("Get = %v, %v; want the store", store, err)
				}
				return
			}
			if got := failure.Reason(err, ""); got != tt.reason || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("Get error = %q (reason %q); want reason %s and a message with %q", err, got, tt.reason, tt.message)
			}
		})
	}
}
