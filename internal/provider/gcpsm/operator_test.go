package gcpsm

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestPubSubEventsRefreshExternalSecrets runs a Ferry operator against the in-process
// Secret Manager and Pub/Sub: an hourly ExternalSecret of a store whose annotation names
// a subscription gets a new version of its secret as soon as Secret Manager's
// SECRET_VERSION_ADD notification is pulled, long before its refresh interval, and the
// store reports the feed as receiving.
func TestPubSubEventsRefreshExternalSecrets(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	seed(t, operatorSM, "projects/p", "db-password", conformance.Secret{Data: map[string]string{"password": "one"}})
	mustCreate(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gcp-key"},
		Data: map[string][]byte{"key.json": operatorPS.keyJSON(t)}})
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gcp", Annotations: map[string]string{AnnotationPubSubSubscription: subscription}},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: &esv1.GCPSMProvider{ProjectID: "p",
			Auth: esv1.GCPSMAuth{SecretRef: &esv1.GCPSMAuthSecretRef{SecretAccessKey: esv1.SecretKeySelector{Name: "gcp-key", Key: "key.json"}}}}}},
	}
	mustCreate(t, store)
	mustCreate(t, &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: "gcp"},
			RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "password",
				RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password", Property: "password"}}},
		},
	})
	waitValue(t, ns, "db", "password", "one")
	testenv.Eventually(t, 30*time.Second, "the store's EventFeed Receiving", func() (bool, error) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.Status.Conditions {
			if c.Type == changefeed.ConditionEventFeed {
				return c.Reason == changefeed.ReasonFeedReceiving, nil
			}
		}
		return false, nil
	})

	version := seed(t, operatorSM, "projects/p", "db-password", conformance.Secret{Data: map[string]string{"password": "two"}})
	operatorPS.publish(map[string]string{"eventType": "SECRET_VERSION_ADD", "dataFormat": "JSON_API_V1",
		"secretId": "projects/p/secrets/db-password", "versionId": "projects/p/secrets/db-password/versions/" + version,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
	waitValue(t, ns, "db", "password", "two")
}

func mustCreate(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// waitValue waits until the Secret's key holds want.
func waitValue(t *testing.T, ns, name, key, want string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "Secret "+name+" holding "+want, func() (bool, error) {
		var s corev1.Secret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return string(s.Data[key]) == want, nil
	})
}
