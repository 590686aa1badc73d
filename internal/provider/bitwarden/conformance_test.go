package bitwarden

import (
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

// bitwardenStore is ESO's documented store: the SDK server's URL, its CA as base64 PEM
// in caBundle, the machine account's token in a Secret.
func bitwardenStore(sdkURL, caPEM string) *esv1.SecretStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "bitwarden", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{BitwardenSecretsManager: &esv1.BitwardenSecretsManagerProvider{
			BitwardenServerSDKURL: sdkURL,
			CABundle:              base64.StdEncoding.EncodeToString([]byte(caPEM)),
			APIURL:                "https://api.bitwarden.eu",
			IdentityURL:           "https://identity.bitwarden.eu",
			OrganizationID:        testOrg,
			ProjectID:             testProject,
			Auth: esv1.BitwardenSecretsManagerAuth{SecretRef: esv1.BitwardenSecretsManagerSecretRef{
				Credentials: esv1.SecretKeySelector{Name: "bitwarden-access-token", Key: "token"}}},
		}}},
	}
}

func kubeWithToken(token string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "bitwarden-access-token", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token + "\n")}}).Build()
}

// TestConformance runs the provider suite against the in-process SDK server. Keys are
// secret names in the store's project; Bitwarden keeps no versions and no tags.
func TestConformance(t *testing.T) {
	f := startSDKServer(t)
	store := bitwardenStore(f.URL, string(f.CertificatePEM()))
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kubeWithToken(testToken),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.Put(testProject, key, string(value), "")
			return ""
		},
		Delete: func(_ *testing.T, key string) {
			for _, s := range f.Named(testProject, key) {
				f.Remove(s.ID)
			}
		},
		Find: conformance.FindByName,
	})
}

// TestFailingServer checks that 401, 403, 429, 500, garbage or no answer fail Validate and
// reads, never as "not found".
func TestFailingServer(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{TLS: true}, func(t *testing.T, srv *httptest.Server) provider.Client {
		ca := string(pemOf(srv))
		c, err := New().NewClient(t.Context(), bitwardenStore(srv.URL, ca), kubeWithToken(testToken), "apps")
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	})
}
