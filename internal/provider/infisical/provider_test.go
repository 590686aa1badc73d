package infisical

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/infisical/infisicalfake"
)

const listKey = "GET /api/v3/secrets/raw"

func newClient(t *testing.T, f *infisicalfake.Server, store esv1.GenericStore, extra map[string]string) *Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), store, authKube(extra), "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

// TestOneListServesEveryExternalSecretOfAStore: 100 reads of one folder through the
// fetcher, as 100 ExternalSecrets on one store in a refresh cycle, cost one list call.
func TestOneListServesEveryExternalSecretOfAStore(t *testing.T) {
	f := startWithIdentities(t)
	for i := range 100 {
		f.Put("/", fmt.Sprintf("KEY_%d", i), fmt.Sprintf(`{"n":"%d"}`, i))
	}
	fetcher := fetch.New(provider.NewRegistry(testProvider(f)), authKube(nil), fetch.Options{})
	src := fetch.Source{Store: infisicalStore(f, universalAuth()), Namespace: "apps", MaxAge: time.Minute}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			got, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("KEY_%d", i), Property: "n"})
			if err != nil || string(got) != fmt.Sprint(i) {
				t.Errorf("KEY_%d = %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	if n := f.Count(listKey); n != 1 {
		t.Errorf("100 reads of one folder made %d list calls, want 1", n)
	}
	if f.Logins() != 1 {
		t.Errorf("logins = %d, want 1", f.Logins())
	}
}

func TestAuthMethods(t *testing.T) {
	f := startWithIdentities(t)
	f.Put("/", "API_KEY", "k-1")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("sa.jwt.token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.AddIdentity("kubernetes-auth", map[string]string{"identityId": "identity-1", "jwt": "sa.jwt.token"})
	f.AddToken("static-token")
	tokenPath := ref("tokenPath")
	for name, auth := range map[string]esv1.InfisicalAuth{
		"universal": universalAuth(),
		"token":     {TokenAuthCredentials: &esv1.InfisicalTokenAuthCredentials{AccessToken: ref("accessToken")}},
		"jwt":       {JWTAuthCredentials: &esv1.InfisicalJWTAuthCredentials{IdentityID: ref("identityId"), JWT: ref("jwt")}},
		"ldap": {LDAPAuthCredentials: &esv1.InfisicalLDAPAuthCredentials{IdentityID: ref("identityId"),
			LDAPUsername: ref("user"), LDAPPassword: ref("password")}},
		"kubernetes": {KubernetesAuthCredentials: &esv1.InfisicalKubernetesAuthCredentials{IdentityID: ref("identityId"),
			ServiceAccountTokenPath: &tokenPath}},
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, f, infisicalStore(f, auth), map[string]string{"tokenPath": tokenFile})
			if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"}); err != nil || string(got) != "k-1" {
				t.Errorf("GetSecret = %q, %v", got, err)
			}
			if res, err := c.Validate(context.Background()); res != esv1.ValidationResultReady || err != nil {
				t.Errorf("Validate = %v, %v", res, err)
			}
		})
	}
	bad := newClient(t, f, infisicalStore(f, universalAuth()), map[string]string{"clientSecret": "wrong"})
	_, err := bad.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("a refused login = %v", err)
	}
	err = New().ValidateStore(infisicalStore(f, esv1.InfisicalAuth{AWSAuthCredentials: &esv1.InfisicalAWSAuthCredentials{IdentityID: ref("identityId")}}))
	if !errors.Is(err, provider.ErrFeatureNotImplemented) {
		t.Errorf("AWS auth = %v, want ErrFeatureNotImplemented", err)
	}
	if err := New().ValidateStore(infisicalStore(f, esv1.InfisicalAuth{})); err == nil {
		t.Error("a store without auth validated")
	}
}

func TestFoldersImportsAndFind(t *testing.T) {
	f := startWithIdentities(t)
	f.Put("/", "API_KEY", "root-key")
	f.Put("/app", "DB", `{"user":"admin"}`)
	f.Put("/app/sub", "DEEP", "deep")
	f.Put("/shared", "SHARED_TOKEN", "from-import")
	f.Put("/shared", "API_KEY", "shadowed")
	f.Import("/", "/shared")
	ctx := context.Background()
	c := newClient(t, f, infisicalStore(f, universalAuth()), nil)
	for _, tc := range []struct {
		key, prop, want string
	}{
		{"API_KEY", "", "root-key"}, {"/app/DB", "user", "admin"}, {"app/DB", "user", "admin"}, {"/app/sub/DEEP", "", "deep"},
	} {
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key, Property: tc.prop}); err != nil || string(got) != tc.want {
			t.Errorf("GetSecret %s = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
	// The folder's document holds imported secrets, its own winning.
	doc, err := c.ReadDocuments(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"SHARED_TOKEN": "from-import", "API_KEY": "root-key"} {
		if got, err := c.SecretFromDocument(doc["scope"], esv1.ExternalSecretDataRemoteRef{Key: key}); err != nil || string(got) != want {
			t.Errorf("document %s = %q, %v; want %q", key, got, err, want)
		}
	}
	if _, ok := c.DocumentKey(esv1.ExternalSecretDataRemoteRef{Key: "/app/DB"}); ok {
		t.Error("a key of another folder is served from the store folder's document")
	}

	recursive := infisicalStore(f, universalAuth())
	recursive.GetSpec().Provider.Infisical.SecretsScope.Recursive = true
	rc := newClient(t, f, recursive, nil)
	all, err := rc.GetAllSecrets(ctx, esv1.ExternalSecretFind{})
	if err != nil || len(all) != 4 || string(all["DEEP"]) != "deep" {
		t.Errorf("recursive find without conditions = %v, %v", keysOf(all), err)
	}
	p := "/app"
	byPath, err := rc.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: &p})
	if err != nil || len(byPath) != 2 || byPath["API_KEY"] != nil {
		t.Errorf("find by path /app = %v, %v", keysOf(byPath), err)
	}
	if _, err := rc.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"a": "b"}}); err == nil {
		t.Error("find by tags gave no error")
	}
}

func TestPushSecret(t *testing.T) {
	f := startWithIdentities(t)
	ctx := context.Background()
	c := newClient(t, f, infisicalStore(f, universalAuth()), nil)
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "NEW"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "NEW"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("admin"), provider.PushRef{RemoteKey: "app/DB", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "NEW"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Current("/", "NEW"); v != "v2" {
		t.Errorf("NEW = %q, want v2", v)
	}
	if v, _ := f.Current("/app", "DB"); v != `{"user":"admin"}` {
		t.Errorf("app/DB = %q", v)
	}
	if n := f.Count("PATCH /api/v3/secrets/raw/NEW"); n != 1 {
		t.Errorf("updates of NEW = %d, want 1 (pushing the same value writes nothing)", n)
	}
	if n := f.Count("GET /api/v1/projects/slug/" + testProjectSlug); n != 1 {
		t.Errorf("project lookups = %d, want 1 per client", n)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "app/DB", Property: "user"}); !ok || err != nil {
		t.Errorf("SecretExists = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "app/DB", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Current("/app", "DB"); ok {
		t.Error("app/DB survived the removal of its last property")
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "NEW"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "NEW"}); err != nil {
		t.Errorf("deleting a missing secret = %v", err)
	}
}

func TestBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request) bool
		want  string
	}{
		{"rate limited", func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/login") {
				return false
			}
			w.Header().Set("Retry-After", "12")
			infisicalfake.Fail(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate limit exceeded")
			return true
		}, "HTTP 429 Too Many Requests (retry after 12s): Rate limit exceeded"},
		{"forbidden", func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/login") {
				return false
			}
			infisicalfake.Fail(w, http.StatusForbidden, "PermissionDenied", "You are not allowed to read secrets")
			return true
		}, "HTTP 403"},
		{"truncated", func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/login") {
				return false
			}
			_, _ = w.Write([]byte(`{"secret":{"secretValue":"k-`))
			return true
		}, "ends too early"},
		{"server error at login", func(w http.ResponseWriter, _ *http.Request) bool {
			infisicalfake.Fail(w, http.StatusInternalServerError, "InternalServerError", "Something went wrong")
			return true
		}, "logging in with universal-auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startWithIdentities(t)
			f.Put("/", "API_KEY", "k-1")
			f.SetFault(tc.fault)
			c := newClient(t, f, infisicalStore(f, universalAuth()), nil)
			_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"})
			if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "k-") {
				t.Errorf("GetSecret = %v, want an error with %q that is not ErrNotFound", err, tc.want)
			}
		})
	}
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
