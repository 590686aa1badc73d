package pushsecret_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// kubernetesStore creates a local namespace with a SecretStore "k8s" that pushes into a
// remote namespace as a ServiceAccount the API server authorizes (RBAC) to write there,
// and a source Secret holding token; it returns both namespaces.
func kubernetesStore(t *testing.T) (local, remote string) {
	t.Helper()
	local = testenv.Namespace(t, k8s, nil)
	remote = testenv.Namespace(t, k8s, nil)
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: local, Name: "pusher"}})
	create(t, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: remote, Name: "pusher"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"},
			Verbs: []string{"get", "list", "create", "update", "delete"}}}})
	create(t, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: remote, Name: "pusher"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pusher"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: local, Name: "pusher"}}})
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: local, Name: "k8s"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Kubernetes: &esv1.KubernetesProvider{
			Server:          esv1.KubernetesServer{URL: controlPlane.Config.Host, CABundle: controlPlane.Config.CAData},
			Auth:            &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: "pusher"}},
			RemoteNamespace: remote,
		}}}}
	create(t, store)
	waitStoreReady(t, store)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: local, Name: "source"},
		Data: map[string][]byte{"token": []byte("k8s-t0ken")}})
	return local, remote
}

// TestPushToKubernetes pushes into another namespace through the kubernetes provider.
func TestPushToKubernetes(t *testing.T) {
	ctx := context.Background()
	local, remote := kubernetesStore(t)
	ps := pushSecret(local, "push", "k8s", esv1alpha1.PushSecretDeletionPolicyDelete, entry("token", "copied", "api-token"))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	var copied corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: remote, Name: "copied"}, &copied); err != nil {
		t.Fatal(err)
	}
	if string(copied.Data["api-token"]) != "k8s-t0ken" || copied.Labels["managed-by"] != "external-secrets" {
		t.Errorf("pushed Secret: data %v labels %v", copied.Data, copied.Labels)
	}

	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "pushed Secret deleted", func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: remote, Name: "copied"}, &corev1.Secret{})
		return apierrors.IsNotFound(err), nil
	})
}

// TestPushMetadataToKubernetes sets the labels and annotations the metadata names on the
// remote Secret, and reports metadata a SecretStore may not use as InvalidSpec.
func TestPushMetadataToKubernetes(t *testing.T) {
	ctx := context.Background()
	local, remote := kubernetesStore(t)
	ps := pushSecret(local, "push", "k8s", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", "labelled", "api-token"), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"labels": {"team": "payments"}, "annotations": {"owner": "alice"}}}`))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	var pushed corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: remote, Name: "labelled"}, &pushed); err != nil {
		t.Fatal(err)
	}
	if pushed.Labels["team"] != "payments" || pushed.Labels["managed-by"] != "external-secrets" || pushed.Annotations["owner"] != "alice" {
		t.Errorf("pushed Secret: labels %v, annotations %v", pushed.Labels, pushed.Annotations)
	}

	moved := pushSecret(local, "moved", "k8s", esv1alpha1.PushSecretDeletionPolicyNone,
		withMetadata(entry("token", "moved", "api-token"), `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
			"spec": {"remoteNamespace": "kube-system"}}`))
	// IfNotExists asks whether the Secret exists first: that check refuses the metadata
	// the same way.
	moved.Spec.UpdatePolicy = esv1alpha1.PushSecretUpdatePolicyIfNotExists
	create(t, moved)
	msg := waitPushReady(t, moved, metav1.ConditionFalse)
	if c := moved.Status.Conditions[0]; c.Reason != "InvalidSpec" || !strings.Contains(msg, "metadata.spec.remoteNamespace") {
		t.Errorf("condition %s: %q; want InvalidSpec naming metadata.spec.remoteNamespace", c.Reason, msg)
	}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: "moved"}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("a Secret was pushed to kube-system: %v", err)
	}
}

// TestPushCopiesSourceMetadataToKubernetes: as ESO does, the remote Secret gets the source
// Secret's labels, annotations and type, with the entry's metadata over them (or alone,
// with sourceMergePolicy Replace) and spec.template's metadata and type instead of the
// source's. The source's bookkeeping (kubectl's last-applied manifest, which holds the
// data, and ESO's reconcile.external-secrets.io/ keys) stays behind.
func TestPushCopiesSourceMetadataToKubernetes(t *testing.T) {
	ctx := context.Background()
	local, remote := kubernetesStore(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: local, Name: "tls-source",
		Labels:      map[string]string{"team": "payments", "reconcile.external-secrets.io/managed": "true"},
		Annotations: map[string]string{"owner": "alice", corev1.LastAppliedConfigAnnotation: `{"data":{"tls.key":"c2VjcmV0"}}`}},
		Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": []byte("cert"), "tls.key": []byte("key")}})
	whole := func(name, remoteKey string) *esv1alpha1.PushSecret {
		ps := pushSecret(local, name, "k8s", esv1alpha1.PushSecretDeletionPolicyNone,
			esv1alpha1.PushSecretData{Match: esv1alpha1.PushSecretMatch{RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: remoteKey}}})
		ps.Spec.Selector.Secret.Name = "tls-source"
		return ps
	}
	get := func(name string) corev1.Secret {
		t.Helper()
		var s corev1.Secret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: remote, Name: name}, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	plain := whole("plain", "tls-copy")
	create(t, plain)
	waitPushReady(t, plain, metav1.ConditionTrue)
	copied := get("tls-copy")
	if copied.Type != corev1.SecretTypeTLS || string(copied.Data["tls.key"]) != "key" {
		t.Errorf("copy: type %s, data keys %d; want the source's type and data", copied.Type, len(copied.Data))
	}
	if copied.Labels["team"] != "payments" || copied.Annotations["owner"] != "alice" || copied.Labels["managed-by"] != "external-secrets" {
		t.Errorf("copy: labels %v, annotations %v; want the source's and managed-by", copied.Labels, copied.Annotations)
	}
	if _, ok := copied.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		t.Error("copy carries the source's last-applied-configuration annotation")
	}
	if _, ok := copied.Labels["reconcile.external-secrets.io/managed"]; ok {
		t.Error("copy carries the source's reconcile.external-secrets.io/managed label")
	}

	replaced := whole("replaced", "tls-replaced")
	replaced.Spec.Data[0] = withMetadata(replaced.Spec.Data[0], `{"apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
		"spec": {"sourceMergePolicy": "Replace", "labels": {"tier": "gold"}}}`)
	create(t, replaced)
	waitPushReady(t, replaced, metav1.ConditionTrue)
	if s := get("tls-replaced"); s.Labels["tier"] != "gold" || s.Labels["team"] != "" || s.Annotations["owner"] != "" {
		t.Errorf("sourceMergePolicy Replace: labels %v, annotations %v; want the metadata's only", s.Labels, s.Annotations)
	}

	templated := whole("templated", "opaque-copy")
	templated.Spec.Template = &esv1.ExternalSecretTemplate{Type: corev1.SecretTypeOpaque,
		Metadata: esv1.ExternalSecretTemplateMetadata{Labels: map[string]string{"from": "template"}}}
	create(t, templated)
	waitPushReady(t, templated, metav1.ConditionTrue)
	if s := get("opaque-copy"); s.Type != corev1.SecretTypeOpaque || s.Labels["from"] != "template" || s.Labels["team"] != "" || s.Annotations["owner"] != "alice" {
		t.Errorf("template: type %s, labels %v, annotations %v; want Opaque, the template's labels, the source's annotations", s.Type, s.Labels, s.Annotations)
	}
}
