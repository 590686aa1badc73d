package vault

import (
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestOpenBaoThroughTheOperator runs OpenBao SecretStores, an ExternalSecret and
// PushSecrets through a Ferry operator: the store becomes Ready and the ExternalSecret
// writes the bytes it read; a store with a wrong token reports ValidationFailed with the
// server's refusal and no token in it; a PushSecret with custom metadata sets it on the
// secret, and one whose metadata a KV v1 store cannot keep is InvalidSpec, naming the key.
func TestOpenBaoThroughTheOperator(t *testing.T) {
	t.Parallel()
	once(t, "mount kv1", func() {
		server.MustDo(t, "POST", "sys/mounts/kv1", map[string]any{"type": "kv", "options": map[string]string{"version": "1"}}, nil)
	})
	k8s := controlPlane.Client
	ns := testenv.Namespace(t, k8s, nil)
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bao"},
		Data: map[string][]byte{"token": []byte(testenv.VaultRootToken), "wrong": []byte("hvs.not-a-token")}})
	tokenRef := func(key string) *esv1.OpenBaoAuth {
		return &esv1.OpenBaoAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "bao", Key: key}}
	}

	store := openBaoStore(ns, esv1.OpenBaoProvider{Path: "secret", Auth: tokenRef("token")})
	operatortest.Create(t, k8s, store)
	if c := operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue); c.Reason != esv1.ReasonStoreValid {
		t.Errorf("the store is Ready with reason %s: %q", c.Reason, c.Message)
	}
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: store.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "user"}}}}}
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "app", map[string]string{"user": "admin"})

	bad := openBaoStore(ns, esv1.OpenBaoProvider{Path: "secret", Auth: tokenRef("wrong")})
	bad.Name = "openbao-wrong-token"
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "permission denied") || strings.Contains(c.Message, "not-a-token") {
		t.Errorf("the store with a wrong token is %s: %q", c.Reason, c.Message)
	}

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("pushed-value")}})
	push := operatortest.PushSecret(ns, "push", store.Name, "source", "password", ns+"/pushed")
	push.Spec.Data[0].Match.RemoteRef.Property = "password"
	push.Spec.Data[0].Metadata = pushMeta(`{"customMetadata":{"team":"payments"}}`)
	operatortest.Create(t, k8s, push)
	operatortest.WaitReady(t, k8s, push, metav1.ConditionTrue)
	if custom, _ := kv2Metadata(t, "secret", ns+"/pushed"); !maps.Equal(custom, map[string]string{"managed-by": "external-secrets", "team": "payments"}) {
		t.Errorf("custom_metadata of the pushed secret = %v, want the marker and team=payments", custom)
	}

	v1Store := openBaoStore(ns, esv1.OpenBaoProvider{Path: "kv1", Version: "v1", Auth: tokenRef("token")})
	v1Store.Name = "openbao-kv1"
	operatortest.Create(t, k8s, v1Store)
	operatortest.WaitReady(t, k8s, v1Store, metav1.ConditionTrue)
	onV1 := operatortest.PushSecret(ns, "push-kv1", v1Store.Name, "source", "password", ns+"/pushed")
	onV1.Spec.Data[0].Match.RemoteRef.Property = "password"
	onV1.Spec.Data[0].Metadata = pushMeta(`{"customMetadata":{"team":"payments"}}`)
	operatortest.Create(t, k8s, onV1)
	c = operatortest.WaitReady(t, k8s, onV1, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonInvalidSpec || !strings.Contains(c.Message, "metadata.spec.customMetadata") {
		t.Errorf("a PushSecret with metadata on KV v1 is %s: %q, want InvalidSpec naming metadata.spec.customMetadata", c.Reason, c.Message)
	}
	var kv1 struct {
		Data map[string]string `json:"data"`
	}
	if err := server.Do(testContext(t), "GET", "kv1/"+ns+"/pushed", nil, &kv1); err == nil {
		t.Errorf("the refused push wrote kv1/%s/pushed: %v", ns, kv1.Data)
	}
}
