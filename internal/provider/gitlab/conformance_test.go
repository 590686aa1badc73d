package gitlab

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/gitlab/gitlabfake"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const projectOwner = "projects/" + testProject

func gitlabStore(f *gitlabfake.Server, spec esv1.GitlabProvider) esv1.GenericStore {
	spec.URL = f.URL
	spec.Auth = esv1.GitlabAuth{SecretRef: esv1.GitlabSecretRef{AccessToken: &esv1.SecretKeySelector{Name: "gitlab", Key: "token"}}}
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "gitlab", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Gitlab: &spec}},
	}
}

func tokenKube(token string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gitlab", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token)}}).Build()
}

func testProvider(f *gitlabfake.Server) *Provider { return New(restclient.WithHTTPClient(f.Client())) }

// TestConformance runs the provider suite against the in-process GitLab API. The suite's
// keys hold dashes, which GitLab refuses in variable names; they are seeded straight into
// the server, and Ferry reads a key as written before trying it with underscores.
func TestConformance(t *testing.T) {
	f := startGitLab(t)
	store := gitlabStore(f, esv1.GitlabProvider{ProjectID: testProject})
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      tokenKube(testToken),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.Set(projectOwner, fakeVariable{Key: key, Value: string(value)})
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.Remove(projectOwner, key) },
		Find:   conformance.FindByName,
	})
}
