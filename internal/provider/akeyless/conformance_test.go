package akeyless

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/akeyless/akeylessfake"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func akeylessStore(url string, auth esv1.AkeylessAuthSecretRef) *esv1.SecretStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "akeyless", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Akeyless: &esv1.AkeylessProvider{
			AkeylessGWAPIURL: url, AuthSecretRef: auth}}},
	}
}

// credsAuth is an authSecretRef.secretRef naming the keys of the Secret akeyless-creds.
func credsAuth() esv1.AkeylessAuthSecretRef {
	sel := func(key string) *esv1.SecretKeySelector {
		return &esv1.SecretKeySelector{Name: "akeyless-creds", Key: key}
	}
	return esv1.AkeylessAuthSecretRef{SecretRef: &esv1.AkeylessSecretRef{
		AccessID: sel("accessId"), AccessType: sel("accessType"), AccessTypeParam: sel("accessTypeParam")}}
}

func credsSecret(ns, accessID, accessType, param string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "akeyless-creds", Namespace: ns},
		Data: map[string][]byte{"accessId": []byte(accessID), "accessType": []byte(accessType), "accessTypeParam": []byte(param)}}
}

// apiKeyStore is a store that logs in with the access id and key of the Secret
// akeyless-creds, and a client that serves it.
func apiKeyStore(f *akeylessfake.Server, accessKey string) (esv1.GenericStore, client.Client) {
	kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", f.AccessID, "api_key", accessKey)).Build()
	return akeylessStore(f.URL, credsAuth()), kube
}

// TestConformance runs the provider suite against the in-process Akeyless API, with each
// secret a static secret holding a JSON object, whose tag values are Akeyless tags.
func TestConformance(t *testing.T) {
	f := startAkeyless(t)
	store, kube := apiKeyStore(f, f.AccessKey)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			raw, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			var tags []string
			for _, v := range s.Tags {
				tags = append(tags, v)
			}
			slices.Sort(tags)
			return strconv.Itoa(f.PutStatic(key, string(raw), tags...))
		},
		Delete:    func(_ *testing.T, key string) { f.Remove(key) },
		KeyPrefix: "/ferry/",
		Versions:  true,
		Find:      conformance.FindByNameAndTags,
		Logins:    f.Logins,
	})
}
