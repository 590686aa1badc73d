package externalsecret_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// sharedVault is the Vault dev server of this package's tests, started once on first use
// and stopped by TestMain.
var sharedVault struct {
	once   sync.Once
	server *testenv.Vault
	err    error
}

// useVault starts the package's Vault dev server if needed and returns it; a missing vault
// binary fails the test with the command that builds it.
func useVault(t *testing.T) *testenv.Vault {
	t.Helper()
	sharedVault.once.Do(func() { sharedVault.server, sharedVault.err = testenv.StartVault() })
	if sharedVault.err != nil {
		t.Fatal(sharedVault.err)
	}
	return sharedVault.server
}

// vaultGenerator creates a VaultDynamicSecret that authenticates with Vault's root token,
// kept in a Secret of ns.
func vaultGenerator(t *testing.T, v *testenv.Vault, ns, name string, spec genv1alpha1.VaultDynamicSecretSpec) {
	t.Helper()
	if !secretExists(t, ns, "vault-token") {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vault-token"},
			Data: map[string][]byte{"token": []byte(testenv.VaultRootToken)}})
	}
	spec.Provider = &esv1.VaultProvider{Server: v.Address, Auth: &esv1.VaultAuth{
		TokenSecretRef: &esv1.SecretKeySelector{Name: "vault-token", Key: "token"}}}
	create(t, &genv1alpha1.VaultDynamicSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec})
}

func secretExists(t *testing.T, ns, name string) bool {
	t.Helper()
	return k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &corev1.Secret{}) == nil
}

func rawJSON(raw string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(raw)} }

// TestVaultDynamicSecretGeneratedOnlyOnRefresh generates passwords from a Vault password
// policy (GET): a new one per sync, one Vault call per sync, none in between.
func TestVaultDynamicSecretGeneratedOnlyOnRefresh(t *testing.T) {
	v := useVault(t)
	v.MustDo(t, "PUT", "sys/policies/password/ferry-generator", map[string]any{
		"policy": "length = 24\nrule \"charset\" {\n  charset = \"abcdefghijklmnopqrstuvwxyz0123456789\"\n}\n"}, nil)
	ns := testenv.Namespace(t, k8s, nil)
	vaultGenerator(t, v, ns, "policy", genv1alpha1.VaultDynamicSecretSpec{Path: "/sys/policies/password/ferry-generator/generate"})
	calls := func() int { return v.CallsMatching("ferry-generator/generate") }
	before := calls()
	es := generatorES(ns, "db", genv1alpha1.VaultDynamicSecretKind, "policy", time.Hour)
	create(t, es)
	first := secretValue(t, ns, "db", "password")
	if !regexp.MustCompile(`^[a-z0-9]{24}$`).MatchString(first) {
		t.Errorf("the password does not follow the Vault policy")
	}
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}}
	update(t, secret, func(s *corev1.Secret) { s.Labels["checked"] = "yes" })
	assertValueStays(t, ns, "db", "password", first, 2*time.Second)
	if got := calls() - before; got != 1 {
		t.Errorf("%d Vault calls for one sync, want 1", got)
	}
	update(t, es, func(es *esv1.ExternalSecret) {
		es.Annotations = map[string]string{esv1.AnnotationForceSync: time.Now().Format(time.RFC3339Nano)}
	})
	waitValueChange(t, ns, "db", "password", first)
	if got := calls() - before; got != 2 {
		t.Errorf("%d Vault calls after a forced sync, want 2", got)
	}
	if strings.Contains(logs.String(), first) {
		t.Error("a generated value reached the operator's log")
	}
}

// TestVaultDynamicSecretMethodsAndResultTypes covers a write with parameters, a read with
// getParameters and nested JSON, a login's auth block, and an empty answer.
func TestVaultDynamicSecretMethodsAndResultTypes(t *testing.T) {
	v := useVault(t)
	v.MustDo(t, "POST", "secret/data/generator-versions", map[string]any{"data": map[string]any{"colour": "red"}}, nil)
	v.MustDo(t, "POST", "secret/data/generator-versions", map[string]any{"data": map[string]any{"colour": "blue"}}, nil)
	if err := v.Do(context.Background(), "POST", "sys/auth/generator-userpass", map[string]any{"type": "userpass"}, nil); err != nil &&
		!strings.Contains(err.Error(), "path is already in use") {
		t.Fatal(err)
	}
	v.MustDo(t, "POST", "auth/generator-userpass/users/app", map[string]any{"password": "app-pass", "token_policies": "default"}, nil)
	ns := testenv.Namespace(t, k8s, nil)

	t.Run("POST with parameters", func(t *testing.T) {
		vaultGenerator(t, v, ns, "random", genv1alpha1.VaultDynamicSecretSpec{Method: "POST",
			Path: "sys/tools/random/16", Parameters: rawJSON(`{"format":"hex"}`)})
		create(t, generatorES(ns, "random", genv1alpha1.VaultDynamicSecretKind, "random", time.Hour))
		if value := secretValue(t, ns, "random", "random_bytes"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(value) {
			t.Errorf("random_bytes is not 16 bytes in hex")
		}
	})
	t.Run("GET with getParameters", func(t *testing.T) {
		vaultGenerator(t, v, ns, "version-one", genv1alpha1.VaultDynamicSecretSpec{
			Path: "secret/data/generator-versions", GetParameters: map[string][]string{"version": {"1"}}})
		create(t, generatorES(ns, "version-one", genv1alpha1.VaultDynamicSecretKind, "version-one", time.Hour))
		if value := secretValue(t, ns, "version-one", "data"); value != `{"colour":"red"}` {
			t.Errorf("data = %s, want version 1 as JSON", value)
		}
	})
	t.Run("Auth of a login", func(t *testing.T) {
		vaultGenerator(t, v, ns, "login", genv1alpha1.VaultDynamicSecretSpec{Method: "POST",
			Path: "auth/generator-userpass/login/app", Parameters: rawJSON(`{"password":"app-pass"}`), ResultType: genv1alpha1.VaultResultAuth})
		create(t, generatorES(ns, "login", genv1alpha1.VaultDynamicSecretKind, "login", time.Hour))
		if token := secretValue(t, ns, "login", "client_token"); !strings.HasPrefix(token, "hvs.") {
			t.Errorf("client_token is not a Vault token")
		}
		if policies := secretValue(t, ns, "login", "policies"); policies != `["default"]` {
			t.Errorf("policies = %s, want a JSON list", policies)
		}
	})
	t.Run("empty answer", func(t *testing.T) {
		vaultGenerator(t, v, ns, "empty", genv1alpha1.VaultDynamicSecretSpec{Method: "POST",
			Path: "sys/tools/random/16", Parameters: rawJSON(`{"format":"hex"}`), ResultType: genv1alpha1.VaultResultAuth})
		es := generatorES(ns, "empty", genv1alpha1.VaultDynamicSecretKind, "empty", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
		if !strings.Contains(msg, "the answer has no auth; set allowEmptyResponse") {
			t.Errorf("message %q does not explain the empty answer", msg)
		}
	})
}
