package secretserver

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/secretserver/secretserverfake"
)

func newClient(t *testing.T, f *secretserverfake.Server, password string) *Client {
	t.Helper()
	return newClientOf(t, New(), f, password)
}

func newClientOf(t *testing.T, p *Provider, f *secretserverfake.Server, password string) *Client {
	t.Helper()
	store, kube := passwordStore(f, password)
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

func tokenClient(t *testing.T, f *secretserverfake.Server, token string) *Client {
	t.Helper()
	store := ssStore(esv1.SecretServerProvider{ServerURL: f.BaseURL(), Token: &esv1.SecretServerCredential{Value: token}})
	c, err := New().NewClient(context.Background(), store, fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// dbItems is a secret of a template with separate fields, as most Secret Server secrets
// are.
func dbItems() []fakeItem {
	return []fakeItem{
		{Name: "Username", Slug: "username", Value: "admin"},
		{Name: "Password", Slug: "password", Value: "pw-9f2c"},
		{Name: "Connection String", Slug: "connection-string", Value: "host=db port=5432"},
	}
}

// TestReadByIDPathAndName reads one secret the three ways ESO reads a key, with fields
// selected by slug and by name, and counts the calls each way costs.
func TestReadByIDPathAndName(t *testing.T) {
	f := startSS(t)
	id := f.Put("/Apps/Prod", "orders-db", dbItems()...)
	f.Put("/Apps/Prod", "orders-db-old", fakeItem{Name: "Password", Slug: "password", Value: "old"})
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	for _, tt := range []struct {
		key, property, want string
		calls               map[string]int
	}{
		{"41", "password", "pw-9f2c", map[string]int{"id": 1}},
		{"41", "Connection String", "host=db port=5432", map[string]int{"id": 1}},
		{"/Apps/Prod/orders-db", "username", "admin", map[string]int{"path": 1}},
		{"orders-db", "Password", "pw-9f2c", map[string]int{"search": 1, "id": 1}},
		{"orders-db-old", "password", "old", map[string]int{"search": 1, "id": 1}},
	} {
		before := map[string]int{"id": f.CallCount("id"), "path": f.CallCount("path"), "search": f.CallCount("search")}
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tt.key, Property: tt.property})
		if err != nil || string(got) != tt.want {
			t.Errorf("key %q property %q = %q, %v; want %q", tt.key, tt.property, got, err, tt.want)
		}
		for kind, n := range before {
			if d := f.CallCount(kind) - n; d != tt.calls[kind] {
				t.Errorf("key %q made %d %s calls, want %d", tt.key, d, kind, tt.calls[kind])
			}
		}
	}
	if id != 41 {
		t.Fatalf("the fake gave id %d; the table reads 41", id)
	}
	whole, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "/Apps/Prod/orders-db"})
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Name  string
		ID    int
		Items []struct{ Slug, FieldName, ItemValue string }
	}
	if err := json.Unmarshal(whole, &model); err != nil || model.Name != "orders-db" || model.ID != 41 ||
		len(model.Items) != 3 || model.Items[2].Slug != "connection-string" || model.Items[2].ItemValue != "host=db port=5432" {
		t.Errorf("whole secret = %s, %v; want ESO's model of secret 41", whole, err)
	}
}

// TestSearchTakesExactNameThenFirst checks that a name search picks the secret named
// exactly so among those whose names contain it, and otherwise the first found, as ESO
// does.
func TestSearchTakesExactNameThenFirst(t *testing.T) {
	f := startSS(t)
	f.Put("", "api-key-legacy", fakeItem{Name: "Key", Slug: "key", Value: "legacy"})
	f.Put("", "api-key", fakeItem{Name: "Key", Slug: "key", Value: "current"})
	f.Put("", "a-api-key-z", fakeItem{Name: "Key", Slug: "key", Value: "first"})
	c := newClient(t, f, f.Password)
	for key, want := range map[string]string{"api-key": "current", "api-k": "first"} {
		got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: key, Property: "key"})
		if err != nil || string(got) != want {
			t.Errorf("name %q = %q, %v; want %q", key, got, err, want)
		}
	}
}

// TestPropertyInsideFirstFieldJSON checks ESO's rule that a property is first a path into
// the JSON the first field holds, then a field's slug or name; and extract with a property.
func TestPropertyInsideFirstFieldJSON(t *testing.T) {
	f := startSS(t)
	f.Put("", "app", fakeItem{Name: "Data", Slug: "data", Value: `{"db":{"user":"u1","port":5432},"username":"from-json"}`},
		fakeItem{Name: "Username", Slug: "username", Value: "from-field"}, fakeItem{Name: "Notes", Slug: "notes", Value: "n"})
	f.Put("", "plain", dbItems()...)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	for prop, want := range map[string]string{"db.user": "u1", "db.port": "5432", "db": `{"port":5432,"user":"u1"}`,
		"username": "from-json", "notes": "n", "Notes": "n"} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "app", Property: prop})
		if err != nil || string(got) != want {
			t.Errorf("property %q = %q, %v; want %q", prop, got, err, want)
		}
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "app", Property: "db"})
	if err != nil || len(m) != 2 || string(m["user"]) != "u1" || string(m["port"]) != "5432" {
		t.Errorf("extract of db = %q, %v", m, err)
	}
	_, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "plain"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || strings.Contains(err.Error(), "admin") || !strings.Contains(err.Error(), "username") {
		t.Errorf("extract of a secret whose first field is not JSON = %v, want an error naming the field, not its value", err)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "app", Version: "2"})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a version read = %v, want a refusal", err)
	}
}

// TestFileField checks that a file field's value is the file, fetched with one more call.
func TestFileField(t *testing.T) {
	f := startSS(t)
	f.Put("", "tls", fakeItem{Name: "Certificate", Slug: "certificate", File: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n")},
		fakeItem{Name: "Host", Slug: "host", Value: "example.org"})
	c := newClient(t, f, f.Password)
	got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "tls", Property: "certificate"})
	if err != nil || string(got) != "-----BEGIN CERTIFICATE-----\nMIIB\n" {
		t.Errorf("file field = %q, %v", got, err)
	}
	if n := f.CallCount("file"); n != 1 {
		t.Errorf("file calls = %d, want 1", n)
	}
}

// TestNotFoundAndDenied checks that a missing id, path or name is "not found", and that a
// secret the user may not view is an error that says so, never "not found".
func TestNotFoundAndDenied(t *testing.T) {
	f := startSS(t)
	id := f.Put("/Locked", "vault-root", dbItems()...)
	f.Deny(id)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	for _, key := range []string{"999", "/Nowhere/x", "no-such-name"} {
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key}); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("key %q = %v, want ErrNotFound", key, err)
		}
	}
	for _, key := range []string{"41", "/Locked/vault-root", "vault-root"} {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "Access Denied") ||
			!strings.Contains(err.Error(), "check its permissions") {
			t.Errorf("denied key %q = %v, want Secret Server's message and a hint, not ErrNotFound", key, err)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "0"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("id 0 = %v, want a refusal", err)
	}
}

// TestTokenKeptAndReplaced checks, read after read, when the client logs in: once for the
// first reads, with the domain; again once two thirds of the 20 minutes the server
// announces have passed; again when the server drops its token.
func TestTokenKeptAndReplaced(t *testing.T) {
	f := startSS(t)
	f.SetDomain("CORP")
	f.Put("", "a", dbItems()...)
	now := time.Now()
	p := New()
	p.cacheOpts = []credcache.Option{credcache.WithClock(func() time.Time { return now })}
	c := newClientOf(t, p, f, f.Password)
	for _, step := range []struct {
		what       string
		later      time.Duration
		dropTokens bool
		reads      int
		logins     int
	}{
		{"five reads", 0, false, 5, 1},
		{"13 minutes on", 13 * time.Minute, false, 1, 1},
		{"14 minutes on", time.Minute, false, 1, 2},
		{"the server forgets its tokens", time.Minute, true, 2, 3},
	} {
		now = now.Add(step.later)
		if step.dropTokens {
			f.DropTokens()
		}
		for range step.reads {
			got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "41", Property: "username"})
			if err != nil || string(got) != "admin" {
				t.Fatalf("%s: read = %q, %v", step.what, got, err)
			}
		}
		if f.Logins() != step.logins {
			t.Errorf("%s: %d logins in all, want %d", step.what, f.Logins(), step.logins)
		}
	}
}

// TestGivenToken checks that a store's token is used as it is, with no login, and that a
// refused one fails Validate and reads with the reason, without the token.
func TestGivenToken(t *testing.T) {
	f := startSS(t)
	f.Put("", "a", dbItems()...)
	c := tokenClient(t, f, f.StaticToken)
	if _, err := c.Validate(context.Background()); err != nil {
		t.Errorf("Validate = %v", err)
	}
	got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "a", Property: "password"})
	if err != nil || string(got) != "pw-9f2c" || f.Logins() != 0 {
		t.Errorf("read with a given token = %q, %v after %d logins; want the value and no login", got, err, f.Logins())
	}
	bad := tokenClient(t, f, "revoked-token-7")
	before := f.CallCount("search")
	_, err = bad.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "a"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "refused the token") || strings.Contains(err.Error(), "revoked-token-7") {
		t.Errorf("read with a refused token = %v, want the reason without the token", err)
	}
	if _, err := bad.Validate(context.Background()); err == nil {
		t.Error("Validate with a refused token succeeded")
	}
	if f.CallCount("search") != before || f.Logins() != 0 {
		t.Errorf("a refused token led to %d searches and %d logins, want none", f.CallCount("search")-before, f.Logins())
	}
}

// TestWrongPassword checks that a refused login fails Validate with a reason a user acts
// on and without the password, and that reads are not "not found".
func TestWrongPassword(t *testing.T) {
	f := startSS(t)
	conformance.CheckRefusedCredentials(t, newClient(t, f, "wrong-password-3"), "check username, password and domain", "wrong-password-3")
}

// TestCABundle checks that a TLS Secret Server is trusted through the store's caBundle and
// refused without it.
func TestCABundle(t *testing.T) {
	f, err := secretserverfake.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	f.Put("", "a", dbItems()...)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})
	for _, tt := range []struct {
		name   string
		bundle []byte
		ok     bool
	}{{"with caBundle", caPEM, true}, {"without", nil, false}} {
		store := ssStore(esv1.SecretServerProvider{ServerURL: f.BaseURL(), CABundle: tt.bundle, Token: &esv1.SecretServerCredential{Value: f.StaticToken}})
		c, err := New().NewClient(context.Background(), store, fake.NewClientBuilder().Build(), "apps")
		if err != nil {
			t.Fatalf("%s: NewClient: %v", tt.name, err)
		}
		got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "41", Property: "username"})
		switch {
		case tt.ok && (err != nil || string(got) != "admin"):
			t.Errorf("%s: GetSecret = %q, %v", tt.name, got, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "certificate")):
			t.Errorf("%s: GetSecret = %v, want a certificate error", tt.name, err)
		}
		_ = c.Close(context.Background())
	}
}

// TestFailingServer checks that a server answering errors, garbage or nothing fails
// Validate and reads, never as "not found".
func TestFailingServer(t *testing.T) {
	f := startSS(t)
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		f.URL = srv.URL
		return newClient(t, f, f.Password)
	})
}

func TestValidateStore(t *testing.T) {
	ref := &esv1.SecretKeySelector{Name: "s", Key: "k"}
	other := "other"
	value := func(v string) *esv1.SecretServerCredential { return &esv1.SecretServerCredential{Value: v} }
	for _, tt := range []struct {
		name string
		spec esv1.SecretServerProvider
		want string
	}{
		{"password", esv1.SecretServerProvider{ServerURL: "https://ss.example/SecretServer", Username: value("u"),
			Password: &esv1.SecretServerCredential{SecretRef: ref}}, ""},
		{"token", esv1.SecretServerProvider{ServerURL: "https://t.secretservercloud.com", Token: &esv1.SecretServerCredential{SecretRef: ref}}, ""},
		{"no url", esv1.SecretServerProvider{Token: value("t")}, "spec.provider.secretserver.serverURL: required"},
		{"bad url", esv1.SecretServerProvider{ServerURL: "ss.example", Token: value("t")}, "serverURL: \"ss.example\" is not an http(s) URL"},
		{"no credentials", esv1.SecretServerProvider{ServerURL: "https://ss.example"}, "set token, or username and password"},
		{"no password", esv1.SecretServerProvider{ServerURL: "https://ss.example", Username: value("u")}, "password: required with username"},
		{"no username", esv1.SecretServerProvider{ServerURL: "https://ss.example", Password: value("p")}, "username: required with password"},
		{"empty token", esv1.SecretServerProvider{ServerURL: "https://ss.example", Token: &esv1.SecretServerCredential{}}, "token: set value or secretRef"},
		{"both", esv1.SecretServerProvider{ServerURL: "https://ss.example", Username: value("u"),
			Password: &esv1.SecretServerCredential{Value: "p", SecretRef: ref}}, "password: set value or secretRef, not both"},
		{"other namespace", esv1.SecretServerProvider{ServerURL: "https://ss.example", Token: &esv1.SecretServerCredential{
			SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &other}}}, "token.secretRef.namespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Namespace: "apps"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{SecretServer: &tt.spec}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want %q", err, tt.want)
			case err != nil && errors.Is(err, provider.ErrAdmittedMistake) != (tt.name == "bad url"):
				t.Errorf("ValidateStore = %v: only a malformed serverURL is admitted, as ESO admits it", err)
			}
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "ss"
	fixedRef := &esv1.SecretServerCredential{SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &ns}}
	localRef := &esv1.SecretServerCredential{SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k"}}
	inline := &esv1.SecretServerCredential{Value: "v"}
	for _, tt := range []struct {
		name string
		spec esv1.SecretServerProvider
		want bool
	}{
		{"inline password", esv1.SecretServerProvider{Username: inline, Password: inline}, true},
		{"password in a named namespace", esv1.SecretServerProvider{Username: inline, Password: fixedRef}, true},
		{"password in the ExternalSecret's namespace", esv1.SecretServerProvider{Username: inline, Password: localRef}, false},
		{"token in the ExternalSecret's namespace", esv1.SecretServerProvider{Token: localRef}, false},
		{"token inline, unused password local", esv1.SecretServerProvider{Token: inline, Password: localRef}, true},
	} {
		store := &esv1.ClusterSecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.ClusterSecretStoreKind},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{SecretServer: &tt.spec}}}
		if got := New().SameForEveryNamespace(store); got != tt.want {
			t.Errorf("%s: SameForEveryNamespace = %v, want %v", tt.name, got, tt.want)
		}
	}
}
