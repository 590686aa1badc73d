package scaleway

import (
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

// scalewayStore reads the access key inline and the secret key from a Secret, as ESO's
// documented example does.
func scalewayStore(apiURL string) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "scaleway", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Scaleway: &esv1.ScalewayProvider{
			Region: testRegion, ProjectID: testProject, APIURL: apiURL,
			AccessKey: esv1.InlineOrSecretValue{Value: "SCWXXXXXXXXXXXXXXXXX"},
			SecretKey: esv1.InlineOrSecretValue{SecretRef: &esv1.SecretKeySelector{Name: "scaleway", Key: "secret-key"}},
		}}},
	}
}

func kubeWithKey(secretKey string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "scaleway", Namespace: "apps"},
		Data: map[string][]byte{"secret-key": []byte(secretKey + "\n")}}).Build()
}

// TestConformance runs the provider suite against the in-process Secret Manager API. Keys
// are bare names; tags are written as the keys of the suite's tag pairs, the way ESO reads
// find.tags for Scaleway.
func TestConformance(t *testing.T) {
	f := startScaleway(t)
	store := scalewayStore(f.URL)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kubeWithKey(testSecretKey),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			tags := make([]string, 0, len(s.Tags))
			for k := range s.Tags {
				tags = append(tags, k)
			}
			sort.Strings(tags)
			_, rev := f.Put("/", key, value, tags...)
			return strconv.Itoa(rev)
		},
		Delete:   func(_ *testing.T, key string) { f.Remove("/", key) },
		Versions: true,
		Find:     conformance.FindByNameAndTags,
	})
}

// TestFailingServer checks that 401, 403, 429, 500, garbage or no answer fail Validate and
// reads, never as "not found".
func TestFailingServer(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		return newClient(t, srv.URL, testSecretKey)
	})
}
