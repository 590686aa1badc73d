package vault

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestVaultEventsRefreshExternalSecrets runs the package's Ferry operator against the real
// Vault dev server behind the event API's stand-in: an hourly ExternalSecret of a store
// annotated with kv-v2/* gets a new version of its secret within seconds of the
// kv-v2/data-write event, long before its refresh interval, with one read of the secret.
func TestVaultEventsRefreshExternalSecrets(t *testing.T) {
	t.Parallel()
	k8s := controlPlane.Client
	ns := testenv.Namespace(t, k8s, nil)
	s := startEventsServer(t, server.Address, testenv.VaultRootToken)
	key := ns + "/db"
	writeKV2(t, key, map[string]any{"password": "one"})

	store := secretStore(ns, esv1.VaultProvider{Server: s.srv.URL, Path: ptr("secret"), Version: esv1.VaultKVStoreV2,
		Auth: rootTokenAuth(t, ns)})
	store.Annotations = map[string]string{AnnotationEventType: "kv-v2/*"}
	operatortest.Create(t, k8s, store)
	operatortest.Create(t, k8s, &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: store.Name},
			RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "password",
				RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key, Property: "password"}}},
		},
	})
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "one"})
	operatortest.WaitFeedReceiving(t, k8s, store)
	s.waitSubscribers(t, 1)

	read := "GET /v1/secret/data/" + key
	before := server.Calls(read)
	writeKV2(t, key, map[string]any{"password": "two"})
	published := time.Now()
	s.publish(t, "", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", key, published))
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "two"})
	if took := time.Since(published); took > 10*time.Second {
		t.Errorf("the new value took %v to arrive after the event, want seconds", took)
	}
	time.Sleep(time.Second) // a second read, were there one, would come now
	if reads := server.Calls(read) - before; reads != 1 {
		t.Errorf("%d reads of the secret after the event, want 1 (%s)", reads, server)
	}
}

// TestVaultEventsFeedDownOnVaultCommunity: Vault Community 1.21, the real server of these
// tests, does not serve event notifications; a store annotated for them reports its feed
// failing with why and what to do instead, and its ExternalSecrets still sync by polling.
func TestVaultEventsFeedDownOnVaultCommunity(t *testing.T) {
	t.Parallel()
	k8s := controlPlane.Client
	ns := testenv.Namespace(t, k8s, nil)
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	store := secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Version: esv1.VaultKVStoreV2, Auth: rootTokenAuth(t, ns)})
	store.Annotations = map[string]string{AnnotationEventType: "kv-v2/*"}
	operatortest.Create(t, k8s, store)

	c := operatortest.WaitFeed(t, k8s, store, changefeed.ReasonFeedFailing)
	if c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "404") ||
		!strings.Contains(c.Message, "this Vault server does not serve event notifications (Vault Enterprise 1.16+") ||
		!strings.Contains(c.Message, "HTTP change endpoint") || strings.Contains(c.Message, "\n") {
		t.Errorf("EventFeed %s %s: %q; want False, the 404 and its explanation on one line", c.Status, c.Reason, c.Message)
	}

	operatortest.Create(t, k8s, &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: store.Name}, RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "user"}}},
		},
	})
	operatortest.WaitSecretData(t, k8s, ns, "app", map[string]string{"user": "admin"})
}
