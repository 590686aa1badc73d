package bitwarden

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/bitwarden/bitwardenfake"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

const (
	getRoute  = "GET /secret"
	listRoute = "GET /secrets"
)

func pemOf(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func newClient(t *testing.T, f *bitwardenfake.Server, token string) *Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), bitwardenStore(f.URL, string(f.CertificatePEM())), kubeWithToken(token), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// TestKeyForms reads by ID (one call, in any project, as ESO reads it) and by name within
// the store's project (a listing, then each candidate), and refuses an ambiguous name.
func TestKeyForms(t *testing.T) {
	f := startSDKServer(t)
	id := f.Put(testProject, "db", `{"user":"admin","password":"pw"}`, "")
	f.Put(otherProj, "db", `{"user":"other-project"}`, "")
	otherID := f.Put(otherProj, "elsewhere", "far", "")
	c := newClient(t, f, testToken)
	ctx := context.Background()

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id, Property: "user"})
	if err != nil || string(got) != "admin" {
		t.Errorf("by ID = %q, %v", got, err)
	}
	if f.Count(listRoute) != 0 || f.Count(getRoute) != 1 {
		t.Errorf("a read by ID made %d listings and %d reads, want 0 and 1", f.Count(listRoute), f.Count(getRoute))
	}
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: strings.ToUpper(otherID)}); err != nil || string(got) != "far" {
		t.Errorf("by ID in another project = %q, %v (ESO reads an ID in whatever project)", got, err)
	}
	// "db" is in two projects: the name reads the store's.
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"})
	if err != nil || string(got) != "admin" {
		t.Errorf("by name = %q, %v", got, err)
	}
	// The project ID as property, as ESO's documentation once asked for, reads the whole value.
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db", Property: testProject})
	if err != nil || string(got) != `{"user":"admin","password":"pw"}` {
		t.Errorf("property = project ID: %q, %v; want the whole value", got, err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "elsewhere"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a name only in another project = %v, want ErrNotFound", err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: newID()}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing ID (400 from the server, absent from the listing) = %v, want ErrNotFound", err)
	}
	f.Put(testProject, "db", "second", "")
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "2 secrets of that name") {
		t.Errorf("an ambiguous name = %v, want an error that says so", err)
	}
	for _, ref := range []esv1.ExternalSecretDataRemoteRef{{Key: id, Version: "2"}, {Key: id, MetadataPolicy: esv1.MetadataPolicyFetch}} {
		n := f.Count(getRoute)
		if _, err := c.GetSecret(ctx, ref); err == nil || f.Count(getRoute) != n {
			t.Errorf("%+v = %v after %d calls, want a refusal before any call", ref, err, f.Count(getRoute)-n)
		}
	}
}

// TestFind finds by name within the store's project, in one listing and one batch read,
// and refuses tags and paths, which Bitwarden secrets do not have.
func TestFind(t *testing.T) {
	f := startSDKServer(t)
	f.Put(testProject, "db_user", "admin", "")
	f.Put(testProject, "db_password", "pw", "")
	f.Put(testProject, "api_token", "tok", "")
	f.Put(otherProj, "db_other", "not ours", "")
	c := newClient(t, f, testToken)
	ctx := context.Background()

	got, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^db_"}})
	if err != nil || len(got) != 2 || string(got["db_user"]) != "admin" || string(got["db_password"]) != "pw" {
		t.Errorf("find ^db_ = %v, %v; want db_user and db_password of the project, keyed by name", keys(got), err)
	}
	if f.Count(listRoute) != 1 || f.Count("GET /secrets-by-ids") != 1 || f.Count(getRoute) != 0 {
		t.Errorf("find made %d listings, %d batch reads and %d reads, want 1, 1 and 0",
			f.Count(listRoute), f.Count("GET /secrets-by-ids"), f.Count(getRoute))
	}
	all, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{})
	if err != nil || len(all) != 3 {
		t.Errorf("find without conditions = %v, %v; want the project's 3 secrets", keys(all), err)
	}
	none, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^nothing"}})
	if err != nil || len(none) != 0 {
		t.Errorf("find with no match = %v, %v", keys(none), err)
	}
	for _, find := range []esv1.ExternalSecretFind{{Tags: map[string]string{"team": "a"}}, {Path: new("db")}, {Name: &esv1.FindName{RegExp: "("}}} {
		if _, err := c.GetAllSecrets(ctx, find); err == nil {
			t.Errorf("find %+v was accepted", find)
		}
	}
	f.Put(testProject, "db_user", "again", "")
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^db_user$"}}); err == nil {
		t.Error("two secrets of one name in the project were returned as one key")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestHeaders checks that every request carries the token and the store's Bitwarden URLs
// in the Warden-* headers, as the SDK server reads them.
func TestHeaders(t *testing.T) {
	f := startSDKServer(t)
	id := f.Put(testProject, "k", "v", "")
	if _, err := newClient(t, f, testToken).GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: id}); err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]string{"Warden-Access-Token": testToken, "Warden-Api-Url": "https://api.bitwarden.eu",
		"Warden-Identity-Url": "https://identity.bitwarden.eu", "Content-Type": "application/json"} {
		if got := f.Header(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
}

// TestPushSecret creates, updates, merges properties into and deletes a secret, and
// checks that a secret Ferry did not create is neither overwritten nor deleted.
func TestPushSecret(t *testing.T) {
	f := startSDKServer(t)
	c := newClient(t, f, testToken)
	ctx := context.Background()
	note := &apiextensionsv1.JSON{Raw: []byte(`{"note":"rotated by CI"}`)}

	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "pushed", Metadata: note}); err != nil {
		t.Fatal(err)
	}
	s := f.Named(testProject, "pushed")
	if len(s) != 1 || s[0].Value != "v1" || s[0].Note != "rotated by CI\n"+OwnershipLine {
		t.Fatalf("pushed secret = %+v, want v1 with the note and the ownership line", s)
	}
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "pushed", Metadata: note}); err != nil ||
		f.Count("PUT /secret")+f.Count("POST /secret") != 1 {
		t.Errorf("pushing the same value again: %v; %d writes in all, want 1", err, f.Count("PUT /secret")+f.Count("POST /secret"))
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "pushed"}); err != nil {
		t.Fatal(err)
	}
	if s := f.Named(testProject, "pushed"); len(s) != 1 || s[0].Value != "v2" || s[0].Note != OwnershipLine || f.Count("PUT /secret") != 1 {
		t.Errorf("after an update: %+v, %d updates; want v2 in place, its note now without metadata", s, f.Count("PUT /secret"))
	}

	for _, p := range []struct{ prop, value string }{{"user", "admin"}, {"password", "pw"}} {
		if err := c.PushSecret(ctx, []byte(p.value), provider.PushRef{RemoteKey: "db", Property: p.prop}); err != nil {
			t.Fatal(err)
		}
	}
	if s := f.Named(testProject, "db"); len(s) != 1 || s[0].Value != `{"password":"pw","user":"admin"}` {
		t.Fatalf("db after two property pushes = %+v", s)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "db", Property: "password"}); !ok || err != nil {
		t.Errorf("SecretExists db.password = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "db", Property: "password"}); err != nil {
		t.Fatal(err)
	}
	if s := f.Named(testProject, "db"); len(s) != 1 || s[0].Value != `{"user":"admin"}` {
		t.Errorf("db after a property delete = %+v", s)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "db", Property: "user"}); err != nil || len(f.Named(testProject, "db")) != 0 {
		t.Errorf("deleting the last property: %v; the secret should be gone", err)
	}

	// Someone else's secret of that name, even with ESO's note, is left alone.
	f.Put(testProject, "theirs", "keep-me", "rotated by CI")
	for _, op := range []func() error{
		func() error {
			return c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "theirs", Metadata: note})
		},
		func() error { return c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "theirs"}) },
	} {
		if err := op(); !errors.Is(err, provider.ErrNotManaged) {
			t.Errorf("writing a secret Ferry did not create = %v, want ErrNotManaged", err)
		}
	}
	if s := f.Named(testProject, "theirs"); len(s) != 1 || s[0].Value != "keep-me" {
		t.Errorf("their secret was changed: %+v", s)
	}
	// The same name in another project is not the store's: pushing creates the store's own.
	f.Put(otherProj, "shared-name", "other", "")
	if err := c.PushSecret(ctx, []byte("mine"), provider.PushRef{RemoteKey: "shared-name"}); err != nil || len(f.Named(testProject, "shared-name")) != 1 {
		t.Errorf("push beside another project's secret: %v", err)
	}
	if f.Count("DELETE /secret") != 1 {
		t.Errorf("%d DELETE calls, want 1 (db only)", f.Count("DELETE /secret"))
	}

	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "pushed"}); err != nil || len(f.Named(testProject, "pushed")) != 0 {
		t.Errorf("deleting pushed: %v", err)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "pushed"}); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "pushed"}); err != nil {
		t.Errorf("deleting a missing secret = %v, want nil", err)
	}
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: newID()}); err == nil {
		t.Error("a push to an ID was accepted")
	}
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "k", Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"note":1}`)}}); err == nil {
		t.Error("a note that is not a string was accepted")
	}
}

// TestBadAnswers checks that the SDK server's failures become errors that name the
// status, the server's own phrase and what to check, never the SDK's detail nor a value,
// and are "not found" only for a missing secret.
func TestBadAnswers(t *testing.T) {
	f := startSDKServer(t)
	id := f.Put(testProject, "k", "secret-value", "")

	_, err := newClient(t, f, "wrong-token-value").Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "failed to login to bitwarden using access token") ||
		!strings.Contains(err.Error(), field+".auth.secretRef.credentials") || strings.Contains(err.Error(), "wrong-token-value") ||
		strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("Validate with a wrong token = %v", err)
	}
	if res, err := newClient(t, f, testToken).Validate(context.Background()); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}

	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"sdk error", http.StatusBadRequest, "failed to get secret: [500 Internal Server Error] secret-value", "HTTP 400 Bad Request: failed to get secret"},
		{"no token", http.StatusUnauthorized, "Missing Warden access token\n", "no access token reached the SDK server"},
		{"not the sdk server", http.StatusNotFound, "404 page not found\n", "bitwardenServerSDKURL"},
		{"rate limited", http.StatusTooManyRequests, "", provider.RateLimitHint},
		{"truncated", http.StatusOK, `{"id":"x","value":"secret-val`, "ends too early"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != apiPath+"/secret" {
					return false
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
				return true
			})
			t.Cleanup(func() { f.SetFault(nil) })
			_, err := newClient(t, f, testToken).GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: id})
			if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetSecret = %v, want an error with %q that is not ErrNotFound", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret-val") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}

	// Without caBundle or caProvider the system's roots verify the server, and they do not
	// trust the test certificate.
	store := bitwardenStore(f.URL, "")
	store.Spec.Provider.BitwardenSecretsManager.CABundle = ""
	c, err := New().NewClient(context.Background(), store, kubeWithToken(testToken), "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Validate(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Validate against an untrusted certificate = %v", err)
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	for _, tc := range []struct {
		name  string
		edit  func(*esv1.BitwardenSecretsManagerProvider)
		want  string
		class error // nil: refused; provider.ErrAdmittedMistake: admitted, as ESO admits it
	}{
		{"ok", func(*esv1.BitwardenSecretsManagerProvider) {}, "", nil},
		{"pem bundle", func(p *esv1.BitwardenSecretsManagerProvider) { p.CABundle = "-----BEGIN CERTIFICATE-----\n" }, "", nil},
		{"no ca", func(p *esv1.BitwardenSecretsManagerProvider) { p.CABundle = "" }, "", nil},
		{"no sdk url", func(p *esv1.BitwardenSecretsManagerProvider) { p.BitwardenServerSDKURL = "" }, field + ".bitwardenServerSDKURL: required", nil},
		{"http sdk url", func(p *esv1.BitwardenSecretsManagerProvider) { p.BitwardenServerSDKURL = "http://sdk:9998" }, "is not an https URL", provider.ErrAdmittedMistake},
		{"bad api url", func(p *esv1.BitwardenSecretsManagerProvider) { p.APIURL = "api.bitwarden.com" }, field + ".apiURL", provider.ErrAdmittedMistake},
		{"bad org", func(p *esv1.BitwardenSecretsManagerProvider) { p.OrganizationID = "my-org" }, field + ".organizationID: \"my-org\" is not", provider.ErrAdmittedMistake},
		{"no project", func(p *esv1.BitwardenSecretsManagerProvider) { p.ProjectID = "" }, field + ".projectID: required", provider.ErrAdmittedMistake},
		{"bad bundle", func(p *esv1.BitwardenSecretsManagerProvider) { p.CABundle = "not a bundle" }, field + ".caBundle", provider.ErrAdmittedMistake},
		{"ref without key", func(p *esv1.BitwardenSecretsManagerProvider) { p.Auth.SecretRef.Credentials.Key = "" }, ".credentials.key: required", nil},
		{"other namespace", func(p *esv1.BitwardenSecretsManagerProvider) { p.Auth.SecretRef.Credentials.Namespace = &other }, ".credentials.namespace", nil},
		{"bad ca provider", func(p *esv1.BitwardenSecretsManagerProvider) { p.CAProvider = &esv1.CAProvider{Type: "Vault"} }, field + ".caProvider.type", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := bitwardenStore("https://bitwarden-sdk-server.default.svc.cluster.local:9998", "-----BEGIN CERTIFICATE-----\n")
			tc.edit(store.Spec.Provider.BitwardenSecretsManager)
			conformance.CheckStoreError(t, New().ValidateStore(store), tc.want, tc.class)
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	store := bitwardenStore("https://sdk:9998", "")
	if New().SameForEveryNamespace(store) {
		t.Error("a token ref without a namespace is the same for every namespace")
	}
	ns := "bitwarden"
	store.Spec.Provider.BitwardenSecretsManager.Auth.SecretRef.Credentials.Namespace = &ns
	if !New().SameForEveryNamespace(store) {
		t.Error("a namespaced token ref is not the same for every namespace")
	}
}
