package delinea

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/delinea/delineafake"
)

func dsvStore(f *delineafake.Server, spec esv1.DelineaProvider) esv1.GenericStore {
	spec.Tenant, spec.URLTemplate = f.Tenant, f.URLTemplate()
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "dsv", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Delinea: &spec}},
	}
}

// secretStore is a store with its client id inline and its client secret in a Secret.
func secretStore(f *delineafake.Server, clientSecret string) (esv1.GenericStore, client.Client) {
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "dsv-creds", Namespace: "apps"},
		Data: map[string][]byte{"client-secret": []byte(clientSecret)}}
	store := dsvStore(f, esv1.DelineaProvider{
		ClientID:     esv1.InlineOrSecretValue{Value: f.ClientID},
		ClientSecret: esv1.InlineOrSecretValue{SecretRef: &esv1.SecretKeySelector{Name: "dsv-creds", Key: "client-secret"}},
	})
	return store, fake.NewClientBuilder().WithObjects(creds).Build()
}

// TestConformance runs the provider suite against the in-process DSV tenant. DSV keeps
// versions but neither ESO nor Ferry reads one, and it has no find.
func TestConformance(t *testing.T) {
	f := startDSV(t)
	store, kube := secretStore(f, f.ClientSecret)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			data := map[string]any{}
			for k, v := range s.Data {
				data[k] = v
			}
			f.Put(key, data, nil)
			return ""
		},
		Delete:    func(_ *testing.T, key string) { f.Remove(key) },
		KeyPrefix: "apps/",
		Find:      conformance.FindNone,
		Logins:    f.Logins,
	})
}
