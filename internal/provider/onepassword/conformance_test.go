package onepassword

import (
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/onepassword/onepasswordfake"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

func connectStore(f *onepasswordfake.Server, vaults map[string]int) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "onepassword", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{OnePassword: &esv1.OnePasswordProvider{
			ConnectHost: f.URL, Vaults: vaults,
			Auth: esv1.OnePasswordAuth{SecretRef: esv1.OnePasswordSecretRef{ConnectTokenSecretRef: esv1.SecretKeySelector{Name: "op", Key: "token"}}},
		}}},
	}
}

func tokenKube(token string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "op", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token)}}).Build()
}

func testProvider(f *onepasswordfake.Server) *Provider {
	return New(restclient.WithHTTPClient(f.Client()))
}

// fieldsOf turns a secret's pairs into item fields, in a stable order.
func fieldsOf(data map[string]string) []onepasswordfake.Field {
	fields := make([]onepasswordfake.Field, 0, len(data))
	for k, v := range data {
		fields = append(fields, onepasswordfake.Field{ID: k, Label: k, Value: v, Type: "STRING"})
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Label < fields[j].Label })
	return fields
}

// TestConformance runs the provider suite against the in-process Connect server. A seeded
// secret is an item whose fields are its pairs; as ESO defines it, the item's value
// without a property is its "password" field, and find selects fields, which the tests of
// this package cover.
func TestConformance(t *testing.T) {
	f := startConnect(t, "Prod")
	store := connectStore(f, map[string]int{"Prod": 1})
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      tokenKube(connectToken),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			f.RemoveTitle(key)
			f.Add("Prod", onepasswordfake.Item{Title: key, Category: "LOGIN", Fields: fieldsOf(s.Data)})
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.RemoveTitle(key) },
		Whole:  func(s conformance.Secret) string { return s.Data["password"] },
		Find:   conformance.FindOwn,
	})
}
