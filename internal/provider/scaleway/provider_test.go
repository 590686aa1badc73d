package scaleway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/scaleway/scalewayfake"
)

const (
	listRoute   = "GET secrets"
	accessRoute = "GET secrets/*/versions/*/access"
)

func newClient(t *testing.T, apiURL, secretKey string) *Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), scalewayStore(apiURL), kubeWithKey(secretKey), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// TestKeyForms reads one secret by id:, name:, path: and a bare name, and a secret in a
// folder by path only, and checks the calls each form costs.
func TestKeyForms(t *testing.T) {
	f := startScaleway(t)
	id, _ := f.Put("/", "db", []byte(`{"user":"admin","password":"pw-root"}`))
	f.Put("/team/a", "db", []byte(`{"user":"a","password":"pw-a"}`))
	f.Put("/", "db-other", []byte(`{"user":"other"}`))
	c := newClient(t, f.URL, testSecretKey)
	ctx := context.Background()

	before := f.Count(listRoute)
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "id:" + id, Property: "user"})
	if err != nil || string(got) != "admin" {
		t.Errorf("id: = %q, %v", got, err)
	}
	if f.Count(listRoute) != before {
		t.Error("an id: read listed secrets; it needs one access call")
	}
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "path:/team/a/db", Property: "user"})
	if err != nil || string(got) != "a" {
		t.Errorf("path:/team/a/db = %q, %v", got, err)
	}
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "path:/db", Property: "user"})
	if err != nil || string(got) != "admin" {
		t.Errorf("path:/db = %q, %v", got, err)
	}
	// "db" is in two folders: a name alone is ambiguous, and says so rather than picking one.
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:db"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "/team/a") {
		t.Errorf("an ambiguous name = %v, want an error naming the folders", err)
	}
	f.Remove("/team/a", "db")
	for _, key := range []string{"name:db", "db"} {
		got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "user"})
		if err != nil || string(got) != "admin" {
			t.Errorf("%s = %q, %v (the server's looser name filter also returns db-other)", key, got, err)
		}
	}
	for _, key := range []string{"id:not-a-uuid", "path:db", "path:/team/", "name:", "name:a/b", "arn:db"} {
		n := f.Count(listRoute) + f.Count(accessRoute)
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
		if err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("key %q = %v, want an error that is not ErrNotFound", key, err)
		}
		if f.Count(listRoute)+f.Count(accessRoute) != n {
			t.Errorf("key %q was refused only after calling Scaleway", key)
		}
	}
}

// TestVersions reads the default (latest enabled), latest and numbered revisions, with a
// newer version disabled, and refuses version names Scaleway does not know.
func TestVersions(t *testing.T) {
	f := startScaleway(t)
	f.Put("/", "api", []byte("one"))
	id, two := f.Put("/", "api", []byte("two"))
	f.Disable(id, two)
	c := newClient(t, f.URL, testSecretKey)
	ctx := context.Background()
	for _, tc := range []struct{ version, want string }{{"", "one"}, {"latest_enabled", "one"}, {"1", "one"}} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:api", Version: tc.version})
		if err != nil || string(got) != tc.want {
			t.Errorf("version %q = %q, %v; want %q", tc.version, got, err, tc.want)
		}
	}
	// latest is the disabled revision 2: Scaleway refuses it, which is not "not found".
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:api", Version: "latest"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("latest (disabled) = %v, want an error that is not ErrNotFound", err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:api", Version: "7"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing revision = %v, want ErrNotFound", err)
	}
	for _, v := range []string{"0", "v1", "AWSCURRENT", "-1"} {
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:api", Version: v}); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("version %q = %v, want a refusal", v, err)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "name:api", MetadataPolicy: esv1.MetadataPolicyFetch}); err == nil {
		t.Error("metadataPolicy Fetch was accepted")
	}
}

// TestFindPagesFoldersAndTags finds among 250 secrets (three pages of 100), by name,
// folder and tag, and checks that every page was read once.
func TestFindPagesFoldersAndTags(t *testing.T) {
	f := startScaleway(t)
	for i := range 250 {
		folder, tags := "/", []string{"bulk"}
		if i%50 == 0 {
			folder, tags = "/prod", []string{"bulk", "prod"}
		}
		f.Put(folder, fmt.Sprintf("app-%03d", i), []byte(fmt.Sprint(i)), tags...)
	}
	// A secret whose only version is disabled has nothing to read and is left out.
	id, rev := f.Put("/", "app-disabled", []byte("x"), "bulk")
	f.Disable(id, rev)
	c := newClient(t, f.URL, testSecretKey)
	ctx := context.Background()

	all, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^app-"}})
	if err != nil || len(all) != 250 || string(all["app-249"]) != "249" {
		t.Fatalf("find by name gave %d secrets, %v; want 250", len(all), err)
	}
	if n := f.Count(listRoute); n != 3 {
		t.Errorf("listing 251 secrets took %d pages, want 3", n)
	}
	prod, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: new("/prod")})
	if err != nil || len(prod) != 5 || string(prod["app-050"]) != "50" {
		t.Errorf("find by path gave %v, %v; want the 5 secrets of /prod", keys(prod), err)
	}
	// The fake matches any of several tags; the provider wants them all.
	both, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"bulk": "", "prod": ""}})
	if err != nil || len(both) != 5 {
		t.Errorf("find by two tags gave %v, %v; want the 5 tagged with both", keys(both), err)
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "("}}); err == nil {
		t.Error("an invalid regexp was accepted")
	}
	// The same name in two folders cannot be two keys of one Secret.
	f.Put("/", "app-050", []byte("root"))
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^app-050$"}}); err == nil || !strings.Contains(err.Error(), "/prod") {
		t.Errorf("a name in two folders = %v, want an error naming them", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPushSecret creates, updates, merges properties into, and deletes a secret, and
// checks that a secret Ferry did not create is neither overwritten nor deleted.
func TestPushSecret(t *testing.T) {
	f := startScaleway(t)
	c := newClient(t, f.URL, testSecretKey)
	ctx := context.Background()
	const createRoute, versionRoute, deleteRoute = "POST secrets", "POST secrets/*/versions", "DELETE secrets/*"

	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "name:pushed"}); err != nil {
		t.Fatal(err)
	}
	s := f.Get("/", "pushed")
	if s == nil || len(s.Versions) != 1 || string(s.Versions[0].Data) != "v1" || !slicesEqual(s.Tags, []string{OwnershipTag}) {
		t.Fatalf("pushed secret = %+v, want one version v1 tagged %s", s, OwnershipTag)
	}
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "name:pushed"}); err != nil || f.Count(versionRoute) != 1 {
		t.Errorf("pushing the same value again: %v, %d versions added in all, want 1", err, f.Count(versionRoute))
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "name:pushed"}); err != nil {
		t.Fatal(err)
	}
	s = f.Get("/", "pushed")
	if len(s.Versions) != 2 || string(s.Versions[1].Data) != "v2" || s.Versions[0].Enabled {
		t.Errorf("after an update: %+v, want v2 added and v1 disabled", s.Versions)
	}
	if f.Count(createRoute) != 1 {
		t.Errorf("%d secrets created, want 1", f.Count(createRoute))
	}

	// Properties merge into a JSON object in a folder given by path:.
	for _, p := range []struct{ prop, value string }{{"user", "admin"}, {"password", "pw"}} {
		if err := c.PushSecret(ctx, []byte(p.value), provider.PushRef{RemoteKey: "path:/apps/db", Property: p.prop}); err != nil {
			t.Fatal(err)
		}
	}
	db := f.Get("/apps", "db")
	if db == nil || string(db.Versions[len(db.Versions)-1].Data) != `{"password":"pw","user":"admin"}` {
		t.Fatalf("db after two property pushes = %+v", db)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "path:/apps/db", Property: "password"}); !ok || err != nil {
		t.Errorf("SecretExists db.password = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "path:/apps/db", Property: "password"}); err != nil {
		t.Fatal(err)
	}
	db = f.Get("/apps", "db")
	if string(db.Versions[len(db.Versions)-1].Data) != `{"user":"admin"}` {
		t.Errorf("db after a property delete = %s", db.Versions[len(db.Versions)-1].Data)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "path:/apps/db", Property: "user"}); err != nil || f.Get("/apps", "db") != nil {
		t.Errorf("deleting the last property: %v; the secret should be gone", err)
	}

	// Someone else's secret, of the same name or tagged otherwise, is left alone.
	f.Put("/", "theirs", []byte("keep-me"), "team=payments")
	for _, op := range []func() error{
		func() error { return c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "name:theirs"}) },
		func() error { return c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "theirs"}) },
	} {
		if err := op(); !errors.Is(err, provider.ErrNotManaged) {
			t.Errorf("writing a secret Ferry did not create = %v, want ErrNotManaged", err)
		}
	}
	if s := f.Get("/", "theirs"); s == nil || len(s.Versions) != 1 {
		t.Errorf("their secret was changed: %+v", s)
	}
	if f.Count(deleteRoute) != 1 {
		t.Errorf("%d DELETE calls, want 1 (db only)", f.Count(deleteRoute))
	}

	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "name:pushed"}); err != nil || f.Get("/", "pushed") != nil {
		t.Errorf("deleting pushed: %v", err)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "name:pushed"}); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "name:pushed"}); err != nil {
		t.Errorf("deleting a missing secret = %v, want nil", err)
	}
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "id:" + newID()}); err == nil {
		t.Error("a push by id: was accepted")
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestBadAnswers checks that Scaleway's error answers become errors that say what
// happened (status, Scaleway's message, what to check) and are never "not found" unless
// the answer is a 404, and never quote a value.
func TestBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header string
		want   string
	}{
		{"forbidden", http.StatusForbidden, `{"message":"insufficient permissions","type":"permissions_denied"}`, "",
			"HTTP 403 Forbidden: insufficient permissions (permissions_denied) (the API key's IAM policy does not allow this in project " + testProject},
		{"rate limited", http.StatusTooManyRequests, `{"message":"rate limit exceeded","type":"too_many_requests"}`, "12",
			"HTTP 429 Too Many Requests (retry after 12s): rate limit exceeded"},
		{"server error", http.StatusServiceUnavailable, `{"message":"service unavailable","type":"unavailable"}`, "", "HTTP 503"},
		{"truncated", http.StatusOK, `{"secret_id":"x","data":"c2VjcmV0LXZhbHVl`, "", "ends too early"},
		{"no data", http.StatusOK, `{"secret_id":"x","revision":1}`, "", "holds no data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startScaleway(t)
			id, _ := f.Put("/", "k", []byte("secret-value"))
			f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/access") {
					return false
				}
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
				return true
			})
			c := newClient(t, f.URL, testSecretKey)
			_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "id:" + id})
			if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetSecret = %v, want an error with %q that is not ErrNotFound", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret-value") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}
	// A 404 to a lookup (a wrong region or API URL) is not a missing secret.
	f := startScaleway(t)
	f.Put("/", "k", []byte("secret-value"))
	f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/secrets") {
			scalewayfake.NotFound(w, "", "")
			return true
		}
		return false
	})
	if _, err := newClient(t, f.URL, testSecretKey).GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "name:k"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a 404 to the lookup = %v, want an error that is not ErrNotFound", err)
	}
	f.SetFault(nil)

	// A wrong key is a 401 that names the field to check, not the key.
	_, err := newClient(t, f.URL, "wrong-key-value").Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), field+".secretKey") ||
		strings.Contains(err.Error(), "wrong-key-value") {
		t.Errorf("Validate with a wrong key = %v", err)
	}
	if res, err := newClient(t, f.URL, testSecretKey).Validate(context.Background()); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	for _, tc := range []struct {
		name  string
		edit  func(*esv1.ScalewayProvider)
		want  string
		class error // nil: refused; provider.ErrAdmittedMistake: admitted, as ESO admits it
	}{
		{"ok", func(*esv1.ScalewayProvider) {}, "", nil},
		{"default api url", func(p *esv1.ScalewayProvider) { p.APIURL = "" }, "", nil},
		{"no region", func(p *esv1.ScalewayProvider) { p.Region = "" }, field + ".region: required", nil},
		{"bad region", func(p *esv1.ScalewayProvider) { p.Region = "paris" }, field + ".region: \"paris\"", nil},
		{"no project", func(p *esv1.ScalewayProvider) { p.ProjectID = "" }, field + ".projectId: required", nil},
		{"bad project", func(p *esv1.ScalewayProvider) { p.ProjectID = "my-project" }, field + ".projectId: \"my-project\" is not", provider.ErrAdmittedMistake},
		{"bad url", func(p *esv1.ScalewayProvider) { p.APIURL = "api.scaleway.com" }, field + ".apiUrl", provider.ErrAdmittedMistake},
		{"no access key", func(p *esv1.ScalewayProvider) { p.AccessKey = esv1.InlineOrSecretValue{} }, field + ".accessKey: set value or secretRef", nil},
		{"both", func(p *esv1.ScalewayProvider) { p.SecretKey.Value = "inline" }, field + ".secretKey: set value or secretRef, not both", nil},
		{"ref without key", func(p *esv1.ScalewayProvider) { p.SecretKey.SecretRef.Key = "" }, field + ".secretKey.secretRef.key: required", nil},
		{"other namespace", func(p *esv1.ScalewayProvider) { p.SecretKey.SecretRef.Namespace = &other }, field + ".secretKey.secretRef.namespace", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := scalewayStore("https://api.scaleway.com")
			tc.edit(store.GetSpec().Provider.Scaleway)
			conformance.CheckStoreError(t, New().ValidateStore(store), tc.want, tc.class)
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	store := scalewayStore("")
	if New().SameForEveryNamespace(store) {
		t.Error("a secret key ref without a namespace is the same for every namespace")
	}
	ns := "scaleway"
	store.GetSpec().Provider.Scaleway.SecretKey.SecretRef.Namespace = &ns
	if !New().SameForEveryNamespace(store) {
		t.Error("inline and namespaced keys are not the same for every namespace")
	}
}
