package azurekv

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func azureStore(spec esv1.AzureKVProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "azure", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AzureKV: &spec}},
	}
}

func ptr[T any](v T) *T { return &v }

// clientSecretStore is a ServicePrincipal store with a client secret, and the kube client
// that holds its credentials.
func clientSecretStore(f *fakeAzure) (esv1.GenericStore, client.Client) {
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "azure-sp", Namespace: "apps"},
		Data: map[string][]byte{"client-id": []byte("app-1"), "client-secret": []byte("sp-password")}}
	store := azureStore(esv1.AzureKVProvider{
		VaultURL: ptr(f.srv.URL), TenantID: ptr(testTenant),
		AuthSecretRef: &esv1.AzureKVAuth{
			ClientID:     &esv1.SecretKeySelector{Name: "azure-sp", Key: "client-id"},
			ClientSecret: &esv1.SecretKeySelector{Name: "azure-sp", Key: "client-secret"},
		},
	})
	return store, fake.NewClientBuilder().WithObjects(creds).Build()
}

func testProvider(f *fakeAzure) Provider {
	return New(WithHTTPClient(f.srv.Client()), WithAuthorityHost(f.srv.URL+"/"), WithVaultScope("https://vault.azure.net/.default"))
}

// TestConformance runs the provider suite through the official SDK against the in-process
// Key Vault, authenticating with a client secret; logins are counted at the token endpoint.
func TestConformance(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			return f.put(key, string(value), s.Tags)
		},
		Delete:   func(_ *testing.T, key string) { f.remove(key) },
		Versions: true,
		Find:     conformance.FindByNameAndTags,
		Logins:   f.Logins,
	})
}
