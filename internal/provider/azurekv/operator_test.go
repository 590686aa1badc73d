package azurekv

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestQueuedEventsRefreshExternalSecrets runs a Ferry operator against the in-process Key
// Vault, Storage queue and Service Bus queue: an hourly ExternalSecret of a store whose
// annotation names a queue gets a secret's new version as soon as Key Vault's
// SecretNewVersionCreated event is read from the queue, long before its refresh interval,
// and the store reports the feed as receiving.
func TestQueuedEventsRefreshExternalSecrets(t *testing.T) {
	f := operatorAzure
	for _, queue := range []struct {
		name, annotation, url string
		deliver               func(string)
	}{
		{"storage queue", AnnotationStorageQueueURL, f.srv.URL + "/" + testQueue, f.enqueue},
		{"service bus", AnnotationServiceBusQueueURL, f.srv.URL + "/" + testBusQueue, f.send},
	} {
		t.Run(queue.name, func(t *testing.T) {
			ns := testenv.Namespace(t, k8s, nil)
			name := "db-" + ns
			f.put(name, "one", nil)
			operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "azure-sp"},
				Data: map[string][]byte{"client-id": []byte("app-1"), "client-secret": []byte("sp-password")}})
			store := &esv1.SecretStore{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "azure", Annotations: map[string]string{queue.annotation: queue.url}},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AzureKV: &esv1.AzureKVProvider{
					VaultURL: ptr(f.srv.URL), TenantID: ptr(testTenant),
					AuthSecretRef: &esv1.AzureKVAuth{
						ClientID:     &esv1.SecretKeySelector{Name: "azure-sp", Key: "client-id"},
						ClientSecret: &esv1.SecretKeySelector{Name: "azure-sp", Key: "client-secret"},
					},
				}}},
			}
			operatortest.Create(t, k8s, store)
			operatortest.Create(t, k8s, &esv1.ExternalSecret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
				Spec: esv1.ExternalSecretSpec{
					SecretStoreRef:  esv1.SecretStoreRef{Name: "azure"},
					RefreshInterval: esv1.NewDuration(time.Hour),
					Data:            []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "secret/" + name}}},
				},
			})
			operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "one"})
			operatortest.WaitFeedReceiving(t, k8s, store)

			version := f.put(name, "two", nil)
			queue.deliver(`{"id":"e1","subject":"` + name + `","eventType":"Microsoft.KeyVault.SecretNewVersionCreated",
				"eventTime":"` + time.Now().UTC().Format(time.RFC3339Nano) + `","dataVersion":"1",
				"data":{"Id":"` + f.srv.URL + `/secrets/` + name + `/` + version + `","VaultName":"v","ObjectType":"Secret","ObjectName":"` + name + `","Version":"` + version + `"}}`)
			operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "two"})
		})
	}
}
