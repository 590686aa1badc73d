package provider

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// TestObjectsInReadsOneNamespace reads ConfigMap and Secret keys of its namespace only, and
// names the object and key, never a value, when one is missing.
func TestObjectsInReadsOneNamespace(t *testing.T) {
	kube := fake.NewClientBuilder().WithObjects(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "policies"},
			Data: map[string]string{"text": "from-data"}, BinaryData: map[string][]byte{"bin": []byte("from-binary")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "policy"},
			Data: map[string][]byte{"doc": []byte("from-secret")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "elsewhere"},
			Data: map[string][]byte{"doc": []byte("other-namespace")}},
	).Build()
	objects := ObjectsIn(kube, "app")
	ctx := context.Background()
	for _, c := range []struct{ kind, name, key, want string }{
		{"ConfigMap", "policies", "text", "from-data"},
		{"ConfigMap", "policies", "bin", "from-binary"},
		{"Secret", "policy", "doc", "from-secret"},
	} {
		got, err := objects.Key(ctx, c.kind, c.name, c.key)
		if err != nil || string(got) != c.want {
			t.Errorf("%s %s key %s = %q, %v; want %q", c.kind, c.name, c.key, got, err, c.want)
		}
	}
	for _, c := range []struct{ kind, name, key, wantErr string }{
		{"Secret", "elsewhere", "doc", "Secret app/elsewhere not found"},
		{"ConfigMap", "policies", "missing", `ConfigMap app/policies has no key "missing"`},
		{"Secret", "policy", "missing", `Secret app/policy has no key "missing"`},
		{"Pod", "policy", "doc", `kind "Pod": use ConfigMap or Secret`},
	} {
		_, err := objects.Key(ctx, c.kind, c.name, c.key)
		if err == nil || err.Error() != c.wantErr {
			t.Errorf("%s %s key %s: err = %v, want %q", c.kind, c.name, c.key, err, c.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "from-") {
			t.Errorf("error %q quotes a value", err)
		}
	}
}
