package gcpsm

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestPubSubEventsRefreshExternalSecrets runs a Ferry operator against the in-process
// Secret Manager and Pub/Sub: an hourly ExternalSecret of a store whose annotation names
// a subscription gets a new version of its secret as soon as Secret Manager's
// SECRET_VERSION_ADD notification is pulled, long before its refresh interval, and the
// store reports the feed as receiving.
func TestPubSubEventsRefreshExternalSecrets(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	seed(t, operatorSM, "projects/p", "db-password", conformance.Secret{Data: map[string]string{"password": "one"}})
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gcp-key"},
		Data: map[string][]byte{"key.json": operatorPS.keyJSON(t)}})
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gcp", Annotations: map[string]string{AnnotationPubSubSubscription: subscription}},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: &esv1.GCPSMProvider{ProjectID: "p",
			Auth: esv1.GCPSMAuth{SecretRef: &esv1.GCPSMAuthSecretRef{SecretAccessKey: esv1.SecretKeySelector{Name: "gcp-key", Key: "key.json"}}}}}},
	}
	operatortest.Create(t, k8s, store)
	operatortest.Create(t, k8s, &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: "gcp"},
			RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "password",
				RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password", Property: "password"}}},
		},
	})
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "one"})
	operatortest.WaitFeedReceiving(t, k8s, store)

	version := seed(t, operatorSM, "projects/p", "db-password", conformance.Secret{Data: map[string]string{"password": "two"}})
	operatorPS.publish(map[string]string{"eventType": "SECRET_VERSION_ADD", "dataFormat": "JSON_API_V1",
		"secretId": "projects/p/secrets/db-password", "versionId": "projects/p/secrets/db-password/versions/" + version,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "two"})
}
