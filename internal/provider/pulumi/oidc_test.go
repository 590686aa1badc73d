package pulumi

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

const saToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczplc2MifQ.c2lnbmF0dXJl"

func oidcStore(apiURL string) *esv1.SecretStore {
	store := pulumiStore(apiURL)
	store.Spec.Provider.Pulumi.Auth = &esv1.PulumiAuth{OIDCConfig: &esv1.PulumiOIDCConfig{
		Organization: testOrg, ExpirationSeconds: 600, ServiceAccountRef: esv1.ServiceAccountSelector{Name: "esc-reader"}}}
	return store
}

// kubeWithServiceAccount serves the ServiceAccount esc-reader and answers its TokenRequests
// with token, recording the audiences asked for.
func kubeWithServiceAccount(token string, audiences *[][]string, mu *sync.Mutex) client.Client {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "esc-reader", Namespace: "apps"}}
	return fake.NewClientBuilder().WithObjects(sa).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj client.Object, req client.Object, opts ...client.SubResourceCreateOption) error {
			tr, ok := req.(*authv1.TokenRequest)
			if sub != "token" || !ok {
				return c.SubResource(sub).Create(ctx, obj, req, opts...)
			}
			mu.Lock()
			*audiences = append(*audiences, slices.Clone(tr.Spec.Audiences))
			mu.Unlock()
			tr.Status.Token = token
			return nil
		},
	}).Build()
}

// TestOIDC reads with an organization token obtained by exchanging a ServiceAccount token
// at Pulumi Cloud's OAuth token exchange: one exchange serves many reads, another is made
// when two thirds of the token's life have passed, and a refused exchange says what to
// check.
func TestOIDC(t *testing.T) {
	f := startESC(t)
	f.SetOIDCToken(saToken)
	f.Set("db", map[string]any{"user": "admin"})
	var audiences [][]string
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var clock sync.Mutex
	p := New()
	p.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	c, err := p.NewClient(context.Background(), oidcStore(f.APIURL()), kubeWithServiceAccount(saToken, &audiences, &mu), "apps")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 5 {
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db.user"}); err != nil || string(got) != "admin" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
	}
	if n := f.Count("POST /api/oauth/token"); n != 1 {
		t.Errorf("5 reads made %d token exchanges, want 1", n)
	}
	mu.Lock()
	if len(audiences) != 1 || !slices.Equal(audiences[0], []string{f.URL, "secretStore:apps:pulumi"}) {
		t.Errorf("ServiceAccount token audiences %q, want Pulumi Cloud's URL and the store's", audiences)
	}
	mu.Unlock()
	clock.Lock()
	now = now.Add(4801 * time.Second) // past two thirds of 7200 s
	clock.Unlock()
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db.user"}); err != nil {
		t.Fatal(err)
	}
	if n := f.Count("POST /api/oauth/token"); n != 2 {
		t.Errorf("after two thirds of the token's life: %d exchanges in all, want 2", n)
	}

	refused, err := New().NewClient(ctx, oidcStore(f.APIURL()), kubeWithServiceAccount("some-other-token", &audiences, &mu), "apps")
	if err != nil {
		t.Fatal(err)
	}
	_, err = refused.Validate(ctx)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "OIDC issuer of organization "+testOrg) ||
		strings.Contains(err.Error(), "some-other-token") {
		t.Errorf("Validate with a token Pulumi refuses = %v", err)
	}
}
