package pulumi

import (
	"context"
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

// pulumiStore is ESO's documented store: the environment's coordinates and the access
// token in a Secret, through auth.accessToken.
func pulumiStore(apiURL string) *esv1.SecretStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "pulumi", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Pulumi: &esv1.PulumiProvider{
			APIURL: apiURL, Organization: testOrg, Project: testProject, Environment: testEnv,
			Auth: &esv1.PulumiAuth{AccessToken: &esv1.SecretKeySource{
				SecretRef: &esv1.SecretKeySelector{Name: "pulumi-access-token", Key: "token"}}},
		}}},
	}
}

func kubeWithToken(token string) client.Client {
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pulumi-access-token", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token + "\n")}}).Build()
}

func newClient(t *testing.T, apiURL, token string) *Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), pulumiStore(apiURL), kubeWithToken(token), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// TestConformance runs the provider suite against the in-process ESC API. A key is a
// top-level name of the environment's values, holding an object of the seeded pairs; the
// environment is opened once for the reads of a check, which the suite counts as logins.
func TestConformance(t *testing.T) {
	f := startESC(t)
	store := pulumiStore(f.APIURL())
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kubeWithToken(testToken),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			obj := map[string]any{}
			for k, v := range s.Data {
				obj[k] = v
			}
			f.Set(key, obj)
			return ""
		},
		Delete: func(_ *testing.T, key string) {
			f.Remove(key)
			f.ExpireSessions() // an open session keeps its snapshot
		},
		Find:   conformance.FindNone,
		Logins: func() int { return f.Count("POST open") },
	})
}

// TestFailingServer checks that 401, 403, 429, 500, garbage or no answer fail Validate and
// reads, never as "not found".
func TestFailingServer(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		return newClient(t, srv.URL+"/api/esc", testToken)
	})
}
