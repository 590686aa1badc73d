package doppler

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/doppler/dopplerfake"
)

const (
	testProject = "backend"
	testConfig  = "prd"
	testScope   = testProject + "/" + testConfig
	personalTok = "dp.pt.personal"
	serviceTok  = "dp.st.prd.service"
	saToken     = "k8s-sa-token"
	identityID  = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
)

func dopplerStore(spec esv1.DopplerProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "doppler", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Doppler: &spec}},
	}
}

func tokenStore() esv1.GenericStore {
	return dopplerStore(esv1.DopplerProvider{Project: testProject, Config: testConfig,
		Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: esv1.SecretKeySelector{Name: "doppler-token", Key: "token"}}}})
}

func oidcStore() esv1.GenericStore {
	return dopplerStore(esv1.DopplerProvider{Project: testProject, Config: testConfig,
		Auth: esv1.DopplerAuth{OIDCConfig: &esv1.DopplerOIDCConfig{Identity: identityID,
			ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ferry-doppler"}}}})
}

// tokenRequests records the audiences of each ServiceAccount token requested.
type tokenRequests struct {
	mu        sync.Mutex
	audiences [][]string
}

// kubeWith holds the Doppler token Secret and the ServiceAccount, and answers token
// requests with saToken.
func kubeWith(token string, reqs *tokenRequests) client.Client {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "doppler-token", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(token)}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ferry-doppler", Namespace: "apps"}}
	return fake.NewClientBuilder().WithObjects(secret, sa).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj client.Object, req client.Object, opts ...client.SubResourceCreateOption) error {
			tr, ok := req.(*authv1.TokenRequest)
			if sub != "token" || !ok {
				return c.SubResource(sub).Create(ctx, obj, req, opts...)
			}
			if reqs != nil {
				reqs.mu.Lock()
				reqs.audiences = append(reqs.audiences, slices.Clone(tr.Spec.Audiences))
				reqs.mu.Unlock()
			}
			tr.Status.Token = saToken
			return nil
		},
	}).Build()
}

func testProvider(f *dopplerfake.Server) *Provider {
	return New(WithBaseURL(f.URL), WithHTTPClient(f.Client()))
}

// TestConformance runs the provider suite against the in-process Doppler API, with a
// store that exchanges a ServiceAccount token through an OIDC identity, so that logins
// are counted at the exchange endpoint.
func TestConformance(t *testing.T) {
	f := startDoppler(t)
	f.SetConfig(testScope, map[string]string{})
	f.SetOIDC(identityID, saToken)
	conformance.Run(t, conformance.Backend{
		Provider:  testProvider(f),
		Kube:      kubeWith("", nil),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return oidcStore() },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.Set(testScope, key, string(value))
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.Remove(testScope, key) },
		Find:   conformance.FindByName,
		Logins: f.Logins,
	})
}
