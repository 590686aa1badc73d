package fanout

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestSelected(t *testing.T) {
	ns := func(name string, labels map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	terminating := ns("gone", map[string]string{"team": "a"})
	terminating.Status.Phase = corev1.NamespaceTerminating
	all := []corev1.Namespace{ns("a1", map[string]string{"team": "a"}), ns("b1", map[string]string{"team": "b"}),
		ns("named", nil), ns("c1", map[string]string{"env": "prod"}), terminating}
	tests := []struct {
		name string
		spec esv1.ClusterExternalSecretSpec
		want []string
	}{
		{"selector", esv1.ClusterExternalSecretSpec{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}}, []string{"a1"}},
		{"any of selectors", esv1.ClusterExternalSecretSpec{NamespaceSelectors: []*metav1.LabelSelector{
			{MatchLabels: map[string]string{"team": "b"}}, {MatchLabels: map[string]string{"env": "prod"}}}}, []string{"b1", "c1"}},
		{"names", esv1.ClusterExternalSecretSpec{Namespaces: []esv1.NamespaceName{"named", "missing"}}, []string{"named"}},
		{"names and selector", esv1.ClusterExternalSecretSpec{Namespaces: []esv1.NamespaceName{"named"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}}, []string{"a1", "named"}},
		{"empty selector selects nothing", esv1.ClusterExternalSecretSpec{NamespaceSelector: &metav1.LabelSelector{}}, nil},
		{"expressions", esv1.ClusterExternalSecretSpec{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "team", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}}}}, []string{"a1", "b1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Selected(ExternalSecrets().Selection(&esv1.ClusterExternalSecret{Spec: tt.spec}), all)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("selected %v, want %v", got, tt.want)
			}
		})
	}
}
