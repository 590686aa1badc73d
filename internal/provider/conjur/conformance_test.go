package conjur

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/conjur/conjurfake"
)

func conjurStore(f *conjurfake.Server, auth esv1.ConjurAuth) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "conjur", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Conjur: &esv1.ConjurProvider{
			URL: f.URL, CABundle: string(serverCAPEM(f)), Auth: auth,
		}}},
	}
}

// apiKeyStore is a store that logs in as host/ferry with an API key, and the kube client
// that holds the credentials.
func apiKeyStore(f *conjurfake.Server) (esv1.GenericStore, client.Client) {
	f.AddAPIKey("host/ferry", "api-key-1")
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "conjur-creds", Namespace: "apps"},
		Data: map[string][]byte{"hostid": []byte("host/ferry"), "apikey": []byte("api-key-1\n")}}
	store := conjurStore(f, esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{Account: f.Account,
		UserRef:   esv1.SecretKeySelector{Name: "conjur-creds", Key: "hostid"},
		APIKeyRef: esv1.SecretKeySelector{Name: "conjur-creds", Key: "apikey"}}})
	return store, fake.NewClientBuilder().WithObjects(creds).Build()
}

// TestConformance runs the provider suite against the in-process Conjur, logged in with an
// API key. Keys hold slashes, as Conjur policy paths do; logins are counted at authn.
func TestConformance(t *testing.T) {
	f := startConjur(t, nil)
	store, kube := apiKeyStore(f)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			return f.Put(key, string(value), s.Tags)
		},
		Delete:    func(_ *testing.T, key string) { f.Remove(key) },
		KeyPrefix: "apps/db/",
		Versions:  true,
		Find:      conformance.FindByNameAndTags,
		Logins:    f.Logins,
	})
}
