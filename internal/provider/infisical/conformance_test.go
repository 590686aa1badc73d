package infisical

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/infisical/infisicalfake"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

func infisicalStore(f *infisicalfake.Server, auth esv1.InfisicalAuth) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "infisical", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Infisical: &esv1.InfisicalProvider{
			HostAPI: f.URL, Auth: auth,
			SecretsScope: esv1.InfisicalSecretsScope{ProjectSlug: testProjectSlug, EnvironmentSlug: testEnv, SecretsPath: "/"},
		}}},
	}
}

func ref(key string) esv1.SecretKeySelector {
	return esv1.SecretKeySelector{Name: "infisical-auth", Key: key}
}

func universalAuth() esv1.InfisicalAuth {
	return esv1.InfisicalAuth{UniversalAuthCredentials: &esv1.InfisicalUniversalAuthCredentials{ClientID: ref("clientId"), ClientSecret: ref("clientSecret")}}
}

// authKube holds every credential the tests' stores read.
func authKube(extra map[string]string) client.Client {
	data := map[string][]byte{"clientId": []byte("client-1"), "clientSecret": []byte("client-secret-1"),
		"identityId": []byte("identity-1"), "jwt": []byte("a.b.c"), "user": []byte("ldap-user"), "password": []byte("ldap-pass"),
		"accessToken": []byte("static-token")}
	for k, v := range extra {
		data[k] = []byte(v)
	}
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "infisical-auth", Namespace: "apps"}, Data: data}).Build()
}

// startWithIdentities accepts the universal auth, JWT and LDAP credentials of authKube.
func startWithIdentities(t *testing.T) *infisicalfake.Server {
	f := startInfisical(t)
	f.AddIdentity("universal-auth", map[string]string{"clientId": "client-1", "clientSecret": "client-secret-1"})
	f.AddIdentity("jwt-auth", map[string]string{"identityId": "identity-1", "jwt": "a.b.c"})
	f.AddIdentity("ldap-auth", map[string]string{"identityId": "identity-1", "username": "ldap-user", "password": "ldap-pass"})
	return f
}

func testProvider(f *infisicalfake.Server) *Provider {
	return New(restclient.WithHTTPClient(f.Client()))
}

// TestConformance runs the provider suite against the in-process Infisical API with
// universal auth; logins are counted at the login endpoint.
func TestConformance(t *testing.T) {
	f := startWithIdentities(t)
	store := infisicalStore(f, universalAuth())
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      authKube(nil),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			return f.Put("/", key, string(value))
		},
		Delete:   func(_ *testing.T, key string) { f.Remove("/", key) },
		Versions: true,
		Find:     conformance.FindByName,
		Logins:   f.Logins,
	})
}
