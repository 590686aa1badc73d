package vault

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	// controlPlane serves the Secrets and ServiceAccounts stores authenticate with, and
	// reviews the ServiceAccount tokens of Vault's Kubernetes auth method.
	controlPlane *testenv.ControlPlane
	// server is the Vault dev server every test shares; tests keep apart by key names
	// (under their namespace's name) and by the roles and mounts they create.
	server *testenv.Vault
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	v, err := testenv.StartVault()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vault provider tests:", err)
		return 1
	}
	defer func() { _ = v.Stop() }()
	server = v
	operatortest.SetLogger(nil, 0)
	return testenv.Run(m, func(cp *testenv.ControlPlane) {
		controlPlane = cp
		// A Ferry operator serving Vault and OpenBao stores, for the tests that check what
		// a user sees on the objects (operator_test.go).
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(New(), NewOpenBao())})
	})
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// writeKV2 writes data as a new version of secret/<path> and returns the version number.
func writeKV2(t *testing.T, path string, data map[string]any) int {
	t.Helper()
	var out struct {
		Data struct {
			Version int `json:"version"`
		} `json:"data"`
	}
	server.MustDo(t, "POST", "secret/data/"+path, map[string]any{"data": data}, &out)
	return out.Data.Version
}

// kubeSecret creates a Secret with string data in namespace ns.
func kubeSecret(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	if err := controlPlane.Client.Create(testContext(t), s); err != nil {
		t.Fatalf("creating Secret %s: %v", name, err)
	}
}

// rootTokenAuth is the auth of a store that uses the dev server's root token, read from a
// Secret created in ns.
func rootTokenAuth(t *testing.T, ns string) *esv1.VaultAuth {
	t.Helper()
	kubeSecret(t, ns, "vault-token", map[string]string{"token": testenv.VaultRootToken})
	return &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "vault-token", Key: "token"}}
}

func secretStore(ns string, spec esv1.VaultProvider) *esv1.SecretStore {
	if spec.Server == "" {
		spec.Server = server.Address
	}
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vault"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: &spec}},
	}
}

func newClient(t *testing.T, store esv1.GenericStore, ns string) provider.Client {
	t.Helper()
	c, err := New().NewClient(testContext(t), store, controlPlane.Client, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func ptr[T any](v T) *T { return &v }
