package kubernetes

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

func envelope(spec string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":` + spec + `}`)}
}

// allowWrite lets the local "reader" ServiceAccount read and write Secrets of namespace.
func (e env) allowWrite(t *testing.T, namespace string) {
	t.Helper()
	name := "write-secrets-" + fmt.Sprint(time.Now().UnixNano())
	create(t, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "create", "update", "delete"}}},
	})
	create(t, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: e.local, Name: "reader"}},
	})
}

// readBack is the remote Secret as the API server holds it.
func readBack(t *testing.T, namespace, name string) *corev1.Secret {
	t.Helper()
	var s corev1.Secret
	if err := controlPlane.Client.Get(testContext(t), client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
		t.Fatalf("reading back Secret %s/%s: %v", namespace, name, err)
	}
	return &s
}

func TestPushMetadata(t *testing.T) {
	e := newEnv(t)
	e.allowWrite(t, e.remote)
	c := newClient(t, New(), e.store(serviceAccountAuth()), controlPlane.Client, e.local).(provider.Writer)
	ctx := testContext(t)
	push := func(value, spec string) {
		t.Helper()
		ref := provider.PushRef{RemoteKey: "app", Property: "token"}
		if spec != "" {
			ref.Metadata = envelope(spec)
		}
		if err := c.PushSecret(ctx, []byte(value), ref); err != nil {
			t.Fatal(err)
		}
	}
	// Someone else labels and annotates the Secret.
	mark := func() {
		t.Helper()
		s := readBack(t, e.remote, "app")
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Labels["cost-centre"], s.Annotations["note"] = "42", "by hand"
		if err := controlPlane.Client.Update(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, wantLabels, wantAnnotations map[string]string, wantValue string) {
		t.Helper()
		s := readBack(t, e.remote, "app")
		wantLabels[provider.ManagedByTag] = provider.ManagedByValue
		if !maps.Equal(s.Labels, wantLabels) || !maps.Equal(s.Annotations, wantAnnotations) || string(s.Data["token"]) != wantValue {
			t.Errorf("%s: labels %v, annotations %v, token %q; want %v, %v, %q", step, s.Labels, s.Annotations, s.Data["token"], wantLabels, wantAnnotations, wantValue)
		}
	}

	push("t1", `{"labels": {"team": "payments"}, "annotations": {"owner": "alice"}}`)
	check("create", map[string]string{"team": "payments"}, map[string]string{"owner": "alice"}, "t1")

	mark()
	push("t1", `{"labels": {"team": "platform"}, "annotations": {"owner": "bob"}}`)
	check("Merge (default)", map[string]string{"team": "platform", "cost-centre": "42"}, map[string]string{"owner": "bob", "note": "by hand"}, "t1")

	push("t2", `{"targetMergePolicy": "Replace", "sourceMergePolicy": "Replace", "labels": {"team": "platform"}}`)
	check("Replace", map[string]string{"team": "platform"}, nil, "t2")

	mark()
	rv := readBack(t, e.remote, "app").ResourceVersion
	push("t2", `{"targetMergePolicy": "Ignore", "labels": {"ignored": "yes"}}`)
	if got := readBack(t, e.remote, "app").ResourceVersion; got != rv {
		t.Errorf("Ignore with an unchanged value updated the Secret (resourceVersion %s → %s)", rv, got)
	}
	push("t3", `{"targetMergePolicy": "Ignore", "labels": {"ignored": "yes"}}`)
	check("Ignore", map[string]string{"team": "platform", "cost-centre": "42"}, map[string]string{"note": "by hand"}, "t3")

	push("t4", "")
	check("no metadata", map[string]string{"team": "platform", "cost-centre": "42"}, map[string]string{"note": "by hand"}, "t4")
}

func TestPushMetadataRefused(t *testing.T) {
	e := newEnv(t)
	e.allowWrite(t, e.remote)
	c := newClient(t, New(), e.store(serviceAccountAuth()), controlPlane.Client, e.local).(provider.Writer)
	for _, tc := range []struct{ name, spec, want string }{
		{"unknown key", `{"secretType": "Opaque"}`, "metadata.spec.secretType: the kubernetes provider does not read this key (it reads: annotations, labels, remoteNamespace, sourceMergePolicy, targetMergePolicy)"},
		{"managed-by label", `{"labels": {"managed-by": "me"}}`, "metadata.spec.labels.managed-by: set by Ferry itself"},
		{"target policy", `{"targetMergePolicy": "Keep"}`, `metadata.spec.targetMergePolicy: "Keep": use Merge, Replace or Ignore`},
		{"source policy", `{"sourceMergePolicy": "Ignore"}`, `metadata.spec.sourceMergePolicy: "Ignore": use Merge or Replace`},
		{"remoteNamespace from a SecretStore", `{"remoteNamespace": "kube-system"}`, "only a ClusterSecretStore may push to another namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.PushSecret(testContext(t), []byte(`{"a":"b"}`), provider.PushRef{RemoteKey: "refused", Metadata: envelope(tc.spec)})
			if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidMetadata saying %q", err, tc.want)
			}
		})
	}
	err := controlPlane.Client.Get(testContext(t), client.ObjectKey{Namespace: e.remote, Name: "refused"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("refused metadata still created the Secret: %v", err)
	}
}

// TestPushMetadataRemoteNamespace pushes through a ClusterSecretStore into the namespace
// the metadata names, and checks, deletes it there.
func TestPushMetadataRemoteNamespace(t *testing.T) {
	e := newEnv(t)
	other := testenv.Namespace(t, controlPlane.Client, nil)
	e.allowWrite(t, other)
	local := e.local
	store := &esv1.ClusterSecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: "k8s-" + e.local},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Kubernetes: &esv1.KubernetesProvider{
			Server:          esv1.KubernetesServer{URL: controlPlane.Config.Host, CABundle: controlPlane.Config.CAData},
			Auth:            &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: "reader", Namespace: &local}},
			RemoteNamespace: e.remote,
		}}},
	}
	c := newClient(t, New(), store, controlPlane.Client, e.local).(provider.Writer)
	ctx := testContext(t)
	ref := provider.PushRef{RemoteKey: "moved", Property: "token", Metadata: envelope(`{"remoteNamespace": "` + other + `", "labels": {"team": "a"}}`)}
	if err := c.PushSecret(ctx, []byte("t0"), ref); err != nil {
		t.Fatal(err)
	}
	s := readBack(t, other, "moved")
	if string(s.Data["token"]) != "t0" || s.Labels["team"] != "a" || s.Labels[provider.ManagedByTag] != provider.ManagedByValue {
		t.Errorf("Secret in %s: data %v, labels %v", other, s.Data, s.Labels)
	}
	if err := controlPlane.Client.Get(ctx, client.ObjectKey{Namespace: e.remote, Name: "moved"}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("the store's own remote namespace has the Secret too: %v", err)
	}
	if ok, err := c.SecretExists(ctx, ref); !ok || err != nil {
		t.Errorf("SecretExists in the metadata's namespace = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := controlPlane.Client.Get(ctx, client.ObjectKey{Namespace: other, Name: "moved"}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("after DeleteSecret the Secret is still in %s: %v", other, err)
	}
}
