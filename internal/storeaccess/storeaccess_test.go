package storeaccess

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestAllowed: the one rule every controller asks before a store serves a namespace.
func TestAllowed(t *testing.T) {
	reader := fake.NewClientBuilder().WithObjects(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"tier": "gold"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-b"}},
	).Build()
	cluster := func(conditions ...esv1.ClusterSecretStoreCondition) esv1.GenericStore {
		return &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: esv1.SecretStoreSpec{Conditions: conditions}}
	}
	gold := &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}
	tests := []struct {
		name      string
		store     esv1.GenericStore
		namespace string
		want      bool
	}{
		{"SecretStore, own namespace", &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s"}}, "team-a", true},
		{"SecretStore, other namespace", &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "s"}}, "team-b", false},
		{"no conditions", cluster(), "team-b", true},
		{"by name", cluster(esv1.ClusterSecretStoreCondition{Namespaces: []esv1.NamespaceName{"team-a"}}), "team-a", true},
		{"by name, other", cluster(esv1.ClusterSecretStoreCondition{Namespaces: []esv1.NamespaceName{"team-a"}}), "team-b", false},
		{"by regexp", cluster(esv1.ClusterSecretStoreCondition{NamespaceRegexes: []string{"^team-[ab]$"}}), "team-b", true},
		{"by regexp, anchored", cluster(esv1.ClusterSecretStoreCondition{NamespaceRegexes: []string{"^team-a$"}}), "team-ab", false},
		{"by labels", cluster(esv1.ClusterSecretStoreCondition{NamespaceSelector: gold}), "team-a", true},
		{"by labels, other", cluster(esv1.ClusterSecretStoreCondition{NamespaceSelector: gold}), "team-b", false},
		{"any condition", cluster(esv1.ClusterSecretStoreCondition{NamespaceSelector: gold},
			esv1.ClusterSecretStoreCondition{Namespaces: []esv1.NamespaceName{"team-b"}}), "team-b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allowed(context.Background(), reader, tt.store, tt.namespace)
			if err != nil || got != tt.want {
				t.Errorf("Allowed(%s) = %v, %v; want %v", tt.namespace, got, err, tt.want)
			}
		})
	}
	// A namespace that cannot be read is an error, never an allowance.
	if ok, err := Allowed(context.Background(), reader, cluster(esv1.ClusterSecretStoreCondition{NamespaceSelector: gold}), "gone"); ok || err == nil {
		t.Errorf("unknown namespace: Allowed = %v, %v; want false and an error", ok, err)
	}
}
