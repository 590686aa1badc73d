package pushsecret_test

import (
	"context"
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

// TestPushToKubernetes pushes into another namespace through the kubernetes provider,
// authenticated as a ServiceAccount that the API server authorizes (RBAC) to write there.
func TestPushToKubernetes(t *testing.T) {
	ctx := context.Background()
	local := testenv.Namespace(t, k8s, nil)
	remote := testenv.Namespace(t, k8s, nil)
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
