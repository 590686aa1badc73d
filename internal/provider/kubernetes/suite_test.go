package kubernetes

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// controlPlane is both the cluster the stores live in and the "remote" cluster they read
// from: stores reach it by URL and CA like any remote API server, with credentials that
// may read only the remote namespace.
var controlPlane *testenv.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) { controlPlane = cp }))
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// env is one test's setting: the namespace its stores live in, the remote namespace they
// read, and a ServiceAccount "reader" of the local namespace allowed to read Secrets of
// the remote namespace (and nothing else).
type env struct {
	local, remote string
}

func newEnv(t *testing.T) env {
	t.Helper()
	e := env{local: testenv.Namespace(t, controlPlane.Client, nil), remote: testenv.Namespace(t, controlPlane.Client, nil)}
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: e.local, Name: "reader"}})
	e.allow(t, rbacv1.Subject{Kind: "ServiceAccount", Namespace: e.local, Name: "reader"})
	return e
}

// allow lets subject get and list Secrets of the remote namespace.
func (e env) allow(t *testing.T, subject rbacv1.Subject) {
	t.Helper()
	name := "read-secrets-" + fmt.Sprint(time.Now().UnixNano())
	create(t, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.remote, Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
	})
	create(t, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.remote, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{subject},
	})
}

// remoteSecret creates a Secret in the remote namespace.
func (e env) remoteSecret(t *testing.T, name string, data map[string]string, labels map[string]string) {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.remote, Name: name, Labels: labels}, StringData: data})
}

// store returns a SecretStore of the local namespace that reaches the control plane by
// URL and CA bundle, with auth.
func (e env) store(auth *esv1.KubernetesAuth) *esv1.SecretStore {
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.local, Name: "k8s"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Kubernetes: &esv1.KubernetesProvider{
			Server:          esv1.KubernetesServer{URL: controlPlane.Config.Host, CABundle: controlPlane.Config.CAData},
			Auth:            auth,
			RemoteNamespace: e.remote,
		}}},
	}
}

func serviceAccountAuth() *esv1.KubernetesAuth {
	return &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: "reader"}}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := controlPlane.Client.Create(testContext(t), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// countingKube is a Kubernetes client that counts TokenRequests.
func countingKube(t *testing.T) (client.Client, *atomic.Int32) {
	t.Helper()
	base, err := client.NewWithWatch(controlPlane.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	return interceptor.NewClient(base, interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj client.Object, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			if sub == "token" {
				n.Add(1)
			}
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
	}), &n
}

func newClient(t *testing.T, p provider.Provider, store esv1.GenericStore, kube client.Client, ns string) provider.Client {
	t.Helper()
	c, err := p.NewClient(testContext(t), store, kube, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}
