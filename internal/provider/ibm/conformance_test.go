package ibm

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
)

const (
	testAPIKey = "ibm-api-key-0123456789"
	// kvPrefix makes the suite's keys name kv secrets of the default group by name.
	kvPrefix = "default/kv/"
)

func ibmStore(f *ibmfake.Server, auth esv1.IBMAuth) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "ibm", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{IBM: &esv1.IBMProvider{ServiceURL: f.SM.URL, Auth: auth}}},
	}
}

func apiKeyAuth(f *ibmfake.Server) esv1.IBMAuth {
	return esv1.IBMAuth{SecretRef: &esv1.IBMSecretRef{IAMEndpoint: f.IAM.URL,
		SecretAPIKeySecretRef: &esv1.SecretKeySelector{Name: "ibm-secret", Key: "apiKey"}}}
}

// kubeWith holds the API key Secret.
func kubeWith(apiKey string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ibm-secret", Namespace: "apps"},
		Data: map[string][]byte{"apiKey": []byte(apiKey)}}).Build()
}

func testProvider(f *ibmfake.Server) *Provider { return New(WithHTTPClient(f.SM.Client())) }

// TestConformance runs the provider suite against the in-process IAM and Secrets Manager,
// reading kv secrets by group, type and name with an API key; logins are counted at IAM.
func TestConformance(t *testing.T) {
	f := startIBM(t)
	store := ibmStore(f, apiKeyAuth(f))
	name := func(key string) string { return strings.TrimPrefix(key, kvPrefix) }
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      kubeWith(testAPIKey),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			data := map[string]any{}
			for k, v := range s.Data {
				data[k] = v
			}
			_, version := f.Put("default", "kv", name(key), map[string]any{"data": data})
			return version
		},
		Delete:    func(_ *testing.T, key string) { f.Remove("default", "kv", name(key)) },
		KeyPrefix: kvPrefix,
		Versions:  true,
		Find:      conformance.FindNone,
		Logins:    f.Logins,
	})
}
