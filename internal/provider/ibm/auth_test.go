package ibm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
)

// testClock is a clock the token cache reads, moved by the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func clockedProvider(f *ibmfake.Server) (*Provider, *testClock) {
	clock := &testClock{now: time.Now()}
	p := testProvider(f)
	p.cacheOpts = []credcache.Option{credcache.WithClock(clock.Now)}
	return p, clock
}

// TestTokenReuse: one IAM token serves every read until two thirds of its life (IAM's
// expires_in) have passed, then one login replaces it; counted at IAM.
func TestTokenReuse(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeArbitrary, "a", map[string]any{"payload": "v"})
	p, clock := clockedProvider(f)
	c := newClient(t, f, p)
	ctx := context.Background()
	read := func() {
		t.Helper()
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id}); err != nil || string(got) != "v" {
			t.Fatalf("read = %q, %v", got, err)
		}
	}
	for range 10 {
		read()
	}
	if f.Logins() != 1 || f.Count("POST /identity/token") != 1 {
		t.Errorf("10 reads made %d logins, want 1", f.Logins())
	}
	contentType := f.LastContentType()
	if contentType != "application/x-www-form-urlencoded" {
		t.Errorf("the token request was sent as %q, want a form", contentType)
	}
	clock.Advance(39 * time.Minute) // IAM's tokens live 60 minutes
	read()
	if f.Logins() != 1 {
		t.Errorf("a token at 39 of 60 minutes was replaced")
	}
	clock.Advance(2 * time.Minute)
	read()
	read()
	if f.Logins() != 2 {
		t.Errorf("%d logins after two thirds of the token's life, want 2", f.Logins())
	}
}

// TestTokenRefused: a token Secrets Manager refuses (401) is replaced once and the read
// repeated; the read succeeds with one more login.
func TestTokenRefused(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeArbitrary, "a", map[string]any{"payload": "v"})
	p, clock := clockedProvider(f)
	c := newClient(t, f, p)
	ctx := context.Background()
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id}); err != nil {
		t.Fatal(err)
	}
	f.DropTokens()
	clock.Advance(time.Minute)
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if err != nil || string(got) != "v" {
		t.Fatalf("read after the token was revoked = %q, %v", got, err)
	}
	if f.Logins() != 2 || f.Count("GET /api/v2/secrets/"+id) != 3 {
		t.Errorf("%d logins and %d reads, want 2 and 3 (one refused)", f.Logins(), f.Count("GET /api/v2/secrets/"+id))
	}
}

// TestAPIKeyRefused: a key IAM does not know fails Validate and reads with IAM's code and
// what to check, without quoting the key; an empty key fails when the client is built.
func TestAPIKeyRefused(t *testing.T) {
	f := startIBM(t)
	wrongKey := "not-a-known-api-key-42"
	c, err := testProvider(f).NewClient(context.Background(), ibmStore(f, apiKeyAuth(f)), kubeWith(wrongKey), "apps")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Validate(context.Background())
	if res != esv1.ValidationResultError || err == nil || provider.HTTPStatus(err) != 400 ||
		!strings.Contains(err.Error(), "BXNIM0415E") || !strings.Contains(err.Error(), "auth.secretRef.secretApiKeySecretRef") {
		t.Errorf("Validate = %v, %v; want IAM's code and the field to check", res, err)
	}
	_, readErr := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: ibmfake.NewID()})
	for _, e := range []error{err, readErr} {
		if e == nil || strings.Contains(e.Error(), wrongKey) {
			t.Errorf("error %v: want one that does not quote the key", e)
		}
	}
	if f.SMRequests() != 0 {
		t.Errorf("Secrets Manager was called %d times without a token", f.SMRequests())
	}

	_, err = testProvider(f).NewClient(context.Background(), ibmStore(f, apiKeyAuth(f)), kubeWith("  \n"), "apps")
	if err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("an empty key = %v; want an error saying so", err)
	}
	_, err = testProvider(f).NewClient(context.Background(), ibmStore(f, apiKeyAuth(f)), fake.NewClientBuilder().Build(), "apps")
	if err == nil || !strings.Contains(err.Error(), "ibm-secret") {
		t.Errorf("a missing Secret = %v; want an error naming it", err)
	}
}

func containerStore(f *ibmfake.Server, tokenFile, profile string) esv1.GenericStore {
	return ibmStore(f, esv1.IBMAuth{ContainerAuth: &esv1.IBMContainerAuth{Profile: profile, TokenLocation: tokenFile, IAMEndpoint: f.IAM.URL}})
}

// TestContainerAuth exchanges the compute resource token of a file for a trusted profile's
// IAM token, reads the file again at each login (a projected token rotates), and says what
// to check when IAM refuses, without quoting the token.
func TestContainerAuth(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeArbitrary, "a", map[string]any{"payload": "v"})
	tokenFile := filepath.Join(t.TempDir(), "sa-token")
	if err := os.WriteFile(tokenFile, []byte("cr-token-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.SetTrustedProfile("cr-token-one", "ferry-reader")
	p, clock := clockedProvider(f)
	c, err := p.NewClient(context.Background(), containerStore(f, tokenFile, "ferry-reader"), fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if err != nil || string(got) != "v" || f.Logins() != 1 {
		t.Fatalf("read = %q, %v after %d logins", got, err, f.Logins())
	}

	// The kubelet rotates the projected token; IAM now knows only the new one.
	if err := os.WriteFile(tokenFile, []byte("cr-token-two"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.SetTrustedProfile("cr-token-two", "ferry-reader")
	f.DropTokens()
	clock.Advance(time.Minute)
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if err != nil || string(got) != "v" || f.Logins() != 2 {
		t.Errorf("read after rotation = %q, %v after %d logins; want a login with the new token", got, err, f.Logins())
	}

	wrong, err := testProvider(f).NewClient(ctx, containerStore(f, tokenFile, "someone-else"), fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Validate(ctx)
	if err == nil || !strings.Contains(err.Error(), "auth.containerAuth.profile") || strings.Contains(err.Error(), "cr-token-two") {
		t.Errorf("a profile IAM refuses = %v; want the field to check, not the token", err)
	}

	missing, err := testProvider(f).NewClient(ctx, containerStore(f, filepath.Join(t.TempDir(), "absent"), "ferry-reader"), fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	_, err = missing.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if err == nil || !strings.Contains(err.Error(), "auth.containerAuth.tokenLocation") || !strings.Contains(err.Error(), "absent") {
		t.Errorf("a missing token file = %v; want the field and the file", err)
	}
}

func TestValidateStore(t *testing.T) {
	f := startIBM(t)
	other := "other"
	for _, tc := range []struct {
		name  string
		auth  func(*ibmfake.Server) esv1.IBMAuth
		edit  func(*esv1.IBMProvider)
		want  string
		class error // nil: refused; provider.ErrAdmittedMistake: admitted, as ESO admits it
	}{
		{"api key", apiKeyAuth, func(*esv1.IBMProvider) {}, "", nil},
		{"container auth", nil, func(*esv1.IBMProvider) {}, "", nil},
		{"no serviceUrl", apiKeyAuth, func(p *esv1.IBMProvider) { p.ServiceURL = "" }, field + ".serviceUrl: required", nil},
		{"serviceUrl without scheme", apiKeyAuth, func(p *esv1.IBMProvider) { p.ServiceURL = "abc.us-south.secrets-manager.appdomain.cloud" },
			field + ".serviceUrl", provider.ErrAdmittedMistake},
		{"no auth", apiKeyAuth, func(p *esv1.IBMProvider) { p.Auth = esv1.IBMAuth{} }, "set exactly one of secretRef and containerAuth", nil},
		{"both auths", apiKeyAuth, func(p *esv1.IBMProvider) {
			p.Auth.ContainerAuth = &esv1.IBMContainerAuth{Profile: "p"}
		}, "set exactly one of secretRef and containerAuth", nil},
		{"secretRef without key ref", apiKeyAuth, func(p *esv1.IBMProvider) { p.Auth.SecretRef.SecretAPIKeySecretRef = nil },
			field + ".auth.secretRef.secretApiKeySecretRef: required", nil},
		{"key ref without key", apiKeyAuth, func(p *esv1.IBMProvider) { p.Auth.SecretRef.SecretAPIKeySecretRef.Key = "" },
			".secretApiKeySecretRef.key: required", nil},
		{"key ref in another namespace", apiKeyAuth, func(p *esv1.IBMProvider) { p.Auth.SecretRef.SecretAPIKeySecretRef.Namespace = &other },
			".secretApiKeySecretRef.namespace", nil},
		{"no profile", nil, func(p *esv1.IBMProvider) { p.Auth.ContainerAuth.Profile = "" }, field + ".auth.containerAuth.profile: required", nil},
		{"iamEndpoint without scheme", nil, func(p *esv1.IBMProvider) { p.Auth.ContainerAuth.IAMEndpoint = "iam.cloud.ibm.com" },
			field + ".auth.containerAuth.iamEndpoint", provider.ErrAdmittedMistake},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := containerStore(f, "", "ferry-reader")
			if tc.auth != nil {
				store = ibmStore(f, tc.auth(f))
			}
			tc.edit(store.GetSpec().Provider.IBM)
			conformance.CheckStoreError(t, New().ValidateStore(store), tc.want, tc.class)
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	f := startIBM(t)
	ns := "ferry"
	withNamespace := apiKeyAuth(f)
	withNamespace.SecretRef.SecretAPIKeySecretRef.Namespace = &ns
	for _, tc := range []struct {
		name string
		auth esv1.IBMAuth
		want bool
	}{
		{"api key in the store's namespace", apiKeyAuth(f), false},
		{"api key in a named namespace", withNamespace, true},
		{"container auth", esv1.IBMAuth{ContainerAuth: &esv1.IBMContainerAuth{Profile: "p"}}, true},
	} {
		if got := New().SameForEveryNamespace(ibmStore(f, tc.auth)); got != tc.want {
			t.Errorf("%s: SameForEveryNamespace = %v, want %v", tc.name, got, tc.want)
		}
	}
}
