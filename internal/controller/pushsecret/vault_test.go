package pushsecret_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestPushToVault pushes to a real Vault dev server (KV v2 at secret/): create, update,
// IfNotExists, and Delete when the PushSecret goes.
func TestPushToVault(t *testing.T) {
	ctx := context.Background()
	vault := testenv.MustStartVault(t)
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vault-token"},
		Data: map[string][]byte{"token": []byte(testenv.VaultRootToken)}})
	mount := "secret"
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vault"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: &esv1.VaultProvider{
			Server: vault.Address, Path: &mount, Version: esv1.VaultKVStoreV2,
			Auth: &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "vault-token", Key: "token"}},
		}}}}
	create(t, store)
	waitStoreReady(t, store)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("v-p4ss"), "user": []byte("svc")}}
	create(t, source)

	// Someone else's secret, without the managed-by metadata.
	vault.MustDo(t, http.MethodPut, "secret/data/"+ns+"/theirs", map[string]any{"data": map[string]any{"password": "theirs"}}, nil)

	ps := pushSecret(ns, "push", "vault", esv1alpha1.PushSecretDeletionPolicyDelete,
		entry("password", ns+"/app", "password"),
		entry("user", ns+"/app", "user"),
		entry("password", ns+"/theirs", "password"),
	)
	ps.Spec.UpdatePolicy = esv1alpha1.PushSecretUpdatePolicyIfNotExists
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	read := func(path string) map[string]any {
		var out struct {
			Data struct {
				Data map[string]any `json:"data"`
			} `json:"data"`
		}
		if err := vault.Do(ctx, http.MethodGet, "secret/data/"+path, nil, &out); err != nil {
			return nil
		}
		return out.Data.Data
	}
	if got := read(ns + "/app"); got["password"] != "v-p4ss" || got["user"] != "svc" {
		t.Errorf("pushed data = %v", got)
	}
	var meta struct {
		Data struct {
			CustomMetadata map[string]string `json:"custom_metadata"`
		} `json:"data"`
	}
	vault.MustDo(t, http.MethodGet, "secret/metadata/"+ns+"/app", nil, &meta)
	if meta.Data.CustomMetadata["managed-by"] != "external-secrets" {
		t.Errorf("custom_metadata = %v, want managed-by=external-secrets", meta.Data.CustomMetadata)
	}
	if got := read(ns + "/theirs"); got["password"] != "theirs" {
		t.Errorf("IfNotExists overwrote someone else's secret: %v", got)
	}

	// Replace: a new value is written on the next sync.
	update(t, ps, func(ps *esv1alpha1.PushSecret) {
		ps.Spec.UpdatePolicy = esv1alpha1.PushSecretUpdatePolicyReplace
		ps.Spec.Data = ps.Spec.Data[:2]
	})
	source.Data["password"] = []byte("v-p4ss-2")
	if err := k8s.Update(ctx, source); err != nil {
		t.Fatal(err)
	}
	forceSync(t, ps)
	testenv.Eventually(t, 20*time.Second, "new value pushed to Vault", func() (bool, error) {
		return read(ns + "/app")["password"] == "v-p4ss-2", nil
	})

	// Deleting the PushSecret deletes what it pushed, and only that.
	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "pushed secret deleted from Vault", func() (bool, error) {
		return read(ns+"/app") == nil, nil
	})
	if got := read(ns + "/theirs"); got["password"] != "theirs" {
		t.Errorf("someone else's secret was touched: %v", got)
	}
}
