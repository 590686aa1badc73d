package passbolt

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newTestClient builds a client of store for the test user.
func newTestClient(t *testing.T, p *Provider, store esv1.GenericStore) *Client {
	t.Helper()
	c, err := p.NewClient(testCtx(t), store, credsKube(t, armoredPrivate(t, testUser(), testPassphrase), testPassphrase), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

func TestValidateStore(t *testing.T) {
	ref := func(name, key string) esv1.SecretKeySelector { return esv1.SecretKeySelector{Name: name, Key: key} }
	good := esv1.PassboltProvider{Host: "https://passbolt.example.com",
		Auth: esv1.PassboltAuth{PasswordSecretRef: ref("pb", "password"), PrivateKeySecretRef: ref("pb", "key")}}
	for _, tt := range []struct {
		name   string
		change func(p *esv1.PassboltProvider)
		want   string
	}{
		{"valid", func(*esv1.PassboltProvider) {}, ""},
		{"no host", func(p *esv1.PassboltProvider) { p.Host = "" }, "spec.provider.passbolt.host: required"},
		{"http host", func(p *esv1.PassboltProvider) { p.Host = "http://passbolt.example.com" }, `"http://passbolt.example.com" is not an https URL`},
		{"bare host", func(p *esv1.PassboltProvider) { p.Host = "passbolt.example.com" }, "is not an https URL"},
		{"no password ref", func(p *esv1.PassboltProvider) { p.Auth.PasswordSecretRef = esv1.SecretKeySelector{} },
			"auth.passwordSecretRef: name and key are required: the Secret key that holds the passphrase"},
		{"no key in private key ref", func(p *esv1.PassboltProvider) { p.Auth.PrivateKeySecretRef.Key = "" },
			"auth.privateKeySecretRef: name and key are required"},
		{"caProvider without type", func(p *esv1.PassboltProvider) { p.CAProvider = &esv1.CAProvider{Name: "ca", Key: "ca.crt"} }, "caProvider"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := good
			tt.change(&spec)
			store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Name: "pb", Namespace: "apps"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Passbolt: &spec}}}
			conformance.CheckStoreError(t, New().ValidateStore(store), tt.want, nil)
		})
	}
}

// TestResourceTypes reads each kind of resource Passbolt serves and checks every field
// ESO reads, and the JSON without a property byte for byte.
func TestResourceTypes(t *testing.T) {
	f := startPassbolt(t, testUser())
	f.withMetadataKey(t)
	want := entry{Name: "db <prod>", Username: "admin", Password: "pa&ss\"word", URI: "https://db.example.com/?a=1&b=2", Description: "primary"}
	ids := map[string]string{
		"password-string":          f.addV4(t, "password-string", want),
		"password-and-description": f.addV4(t, "password-and-description", want),
		"v5 user key":              f.addV5(t, want, false),
		"v5 shared key":            f.addV5(t, want, true),
	}
	c := newTestClient(t, New(), pbStore(f))
	wantJSON := `{"name":"db <prod>","username":"admin","password":"pa&ss\"word","uri":"https://db.example.com/?a=1&b=2","description":"primary"}`
	for kind, id := range ids {
		t.Run(kind, func(t *testing.T) {
			got, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id})
			if err != nil {
				t.Fatalf("GetSecret: %v", err)
			}
			if string(got) != wantJSON {
				t.Errorf("GetSecret without property = %s, want %s", got, wantJSON)
			}
			for _, p := range properties {
				got, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: p})
				want, _ := want.property(p)
				if err != nil || string(got) != string(want) {
					t.Errorf("GetSecret property %s = %q, %v; want %q", p, got, err, want)
				}
			}
		})
	}
	// Types and the shared metadata key are read once per client, not once per read.
	if n := f.Calls(http.MethodGet, "/resource-types.json"); n != 1 {
		t.Errorf("/resource-types.json read %d times, want 1", n)
	}
	if n := f.Calls(http.MethodGet, "/metadata/keys.json"); n != 1 {
		t.Errorf("/metadata/keys.json read %d times, want 1", n)
	}
}

func TestPropertyErrors(t *testing.T) {
	f := startPassbolt(t, testUser())
	id := f.addV4(t, "password-and-description", entry{Name: "n", Password: "hunter2-secret"})
	c := newTestClient(t, New(), pbStore(f))
	_, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "totp"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "use one of description, name, password, uri, username") {
		t.Errorf("GetSecret property totp = %v, want the properties there are", err)
	}
	_, err = c.GetSecretMap(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"})
	if err == nil || !strings.Contains(err.Error(), "remove remoteRef.property") {
		t.Errorf("GetSecretMap with a property = %v, want it refused", err)
	}
	before := f.Calls(http.MethodPost, "/auth/login.json")
	_, err = c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: "my-database"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), `remoteRef.key "my-database" is not a Passbolt resource ID`) {
		t.Errorf("GetSecret of a name = %v, want it refused as not an ID", err)
	}
	if f.Calls(http.MethodPost, "/auth/login.json") != before || f.Calls(http.MethodGet, "/resources/my-database.json") != 0 {
		t.Error("a key that is not a resource ID reached the server")
	}
}

// TestSessionExpiry: a session the server ended (answered 403, as Passbolt answers, or
// 401) is replaced by one new login, and the read that met the expired session succeeds.
func TestSessionExpiry(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusUnauthorized} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := startPassbolt(t, testUser())
			f.SetNoSession(func(w http.ResponseWriter, r *http.Request) { reply(w, r, status, "Authentication is required.", nil) })
			id := f.addV4(t, "password-and-description", entry{Name: "n", Password: "first"})
			now := time.Now()
			p := New()
			p.cacheOpts = []credcache.Option{credcache.WithClock(func() time.Time { return now })}
			c := newTestClient(t, p, pbStore(f))
			for range 3 {
				if _, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"}); err != nil {
					t.Fatalf("GetSecret: %v", err)
				}
			}
			if f.Logins() != 1 {
				t.Fatalf("3 reads logged in %d times, want 1", f.Logins())
			}
			f.ExpireSessions()
			now = now.Add(25 * time.Minute) // past the relogin guard, as a real session timeout would be
			got, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"})
			if err != nil || string(got) != "first" {
				t.Fatalf("GetSecret after the session expired = %q, %v", got, err)
			}
			if f.Logins() != 2 {
				t.Errorf("logins = %d after the session expired, want 2", f.Logins())
			}
			// Stage 1 and stage 2 per login.
			if n := f.Calls(http.MethodPost, "/auth/login.json"); n != 4 {
				t.Errorf("POST /auth/login.json %d times, want 4 (two stages, two logins)", n)
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	f := startPassbolt(t, testUser())
	id := f.addV4(t, "password-and-description", entry{Name: "n", Password: "pw"})
	stranger := genKey(t, "stranger")
	const strangerPass = "stranger-passphrase-123"
	c, err := New().NewClient(testCtx(t), pbStore(f), credsKube(t, armoredPrivate(t, stranger, strangerPass), strangerPass), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	conformance.CheckRefusedCredentials(t, c, "The authentication failed. (the server sent no token for the key", strangerPass)
	if _, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id}); err == nil || !strings.Contains(err.Error(), "GPGAuth stage 1") {
		t.Errorf("GetSecret with an unknown key = %v, want the stage 1 refusal", err)
	}
	if f.Logins() != 0 {
		t.Errorf("the server completed %d logins for a key it does not know", f.Logins())
	}
}

func TestWrongPassphrase(t *testing.T) {
	f := startPassbolt(t, testUser())
	const wrong = "not-the-passphrase-42"
	_, err := New().NewClient(testCtx(t), pbStore(f), credsKube(t, armoredPrivate(t, testUser(), testPassphrase), wrong), "apps")
	if err == nil || !strings.Contains(err.Error(), "auth.passwordSecretRef: the passphrase does not unlock the private key") {
		t.Fatalf("NewClient with a wrong passphrase = %v, want it named", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), testPassphrase) {
		t.Errorf("the error quotes a passphrase: %v", err)
	}
	_, err = New().NewClient(testCtx(t), pbStore(f), credsKube(t, []byte("not a key"), testPassphrase), "apps")
	if err == nil || !strings.Contains(err.Error(), "auth.privateKeySecretRef: not an armored OpenPGP private key") {
		t.Errorf("NewClient with a non-key = %v, want it named", err)
	}
	if f.Calls(http.MethodPost, "/auth/login.json") != 0 {
		t.Error("a client whose key does not unlock logged in")
	}
}

// TestStageOneSuccessEnvelope: a server that answers stage 1 with 200 and a success
// envelope (rather than go-passbolt's "The authentication failed.") is logged in too.
func TestStageOneSuccessEnvelope(t *testing.T) {
	f := startPassbolt(t, testUser())
	f.SetStage1Status(http.StatusOK)
	id := f.addV4(t, "password-string", entry{Name: "n", Password: "legacy"})
	c := newTestClient(t, New(), pbStore(f))
	if got, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"}); err != nil || string(got) != "legacy" {
		t.Errorf("GetSecret = %q, %v", got, err)
	}
}

// TestFindByName: find.name.regexp selects by the resource's name (decrypted from the
// metadata of v5 resources), keys the result by resource ID, and reads the secrets of the
// matches only.
func TestFindByName(t *testing.T) {
	f := startPassbolt(t, testUser())
	f.withMetadataKey(t)
	a := entry{Name: "prod-db", Username: "a", Password: "pa"}
	b := entry{Name: "prod-cache", Username: "b", Password: "pb", Description: "d"}
	idA := f.addV4(t, "password-and-description", a)
	idB := f.addV5(t, b, true)
	idOther := f.addV4(t, "password-and-description", entry{Name: "staging-db", Password: "po"})
	gone := f.addV4(t, "password-and-description", entry{Name: "prod-old", Password: "px"})
	f.Remove(gone)
	c := newTestClient(t, New(), pbStore(f))
	got, err := c.GetAllSecrets(testCtx(t), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^prod-"}})
	if err != nil {
		t.Fatalf("GetAllSecrets: %v", err)
	}
	wantA, _ := a.asJSON()
	wantB, _ := b.asJSON()
	if len(got) != 2 || string(got[idA]) != string(wantA) || string(got[idB]) != string(wantB) {
		t.Errorf("find ^prod- = %d resources (%v), want %s and %s", len(got), keysOf(got), idA, idB)
	}
	if n := f.Calls(http.MethodGet, "/secrets/resource/"+idOther+".json"); n != 0 {
		t.Errorf("the secret of a resource find did not select was read %d times", n)
	}
	if n := f.Calls(http.MethodGet, "/resources.json"); n != 1 {
		t.Errorf("/resources.json read %d times, want 1", n)
	}
	for _, find := range []esv1.ExternalSecretFind{{}, {Tags: map[string]string{"a": "b"}, Name: &esv1.FindName{RegExp: "x"}}} {
		if _, err := c.GetAllSecrets(testCtx(t), find); err == nil || !strings.Contains(err.Error(), "found by name only") {
			t.Errorf("GetAllSecrets(%+v) = %v, want name required", find, err)
		}
	}
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTrust: the server's certificate is trusted through caBundle (the other tests) or a
// caProvider ConfigMap, and not at all without them.
func TestTrust(t *testing.T) {
	f := startPassbolt(t, testUser())
	id := f.addV4(t, "password-and-description", entry{Name: "n", Password: "pw"})
	store := pbStore(f).(*esv1.SecretStore)
	store.Spec.Provider.Passbolt.CABundle = nil
	kube := credsKube(t, armoredPrivate(t, testUser(), testPassphrase), testPassphrase)
	c, err := New().NewClient(testCtx(t), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if _, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GetSecret from an untrusted server = %v, want a certificate error", err)
	}
	store.Spec.Provider.Passbolt.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "passbolt-ca", Key: "ca.crt"}
	kube = fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "passbolt", Namespace: "apps"},
			Data: map[string][]byte{"privateKey": armoredPrivate(t, testUser(), testPassphrase), "password": []byte(testPassphrase)}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "passbolt-ca", Namespace: "apps"}, Data: map[string]string{"ca.crt": string(f.caPEM())}},
	).Build()
	if c, err = New().NewClient(testCtx(t), store, kube, "apps"); err != nil {
		t.Fatalf("NewClient with caProvider: %v", err)
	}
	if got, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"}); err != nil || string(got) != "pw" {
		t.Errorf("GetSecret trusting the caProvider = %q, %v", got, err)
	}
}

func TestFailingServers(t *testing.T) {
	armored := armoredPrivate(t, testUser(), testPassphrase)
	conformance.RunFailingServers(t, conformance.FailingOptions{TLS: true}, func(t *testing.T, srv *httptest.Server) provider.Client {
		store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Name: "passbolt", Namespace: "apps"},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Passbolt: &esv1.PassboltProvider{Host: srv.URL,
				Auth: esv1.PassboltAuth{PasswordSecretRef: esv1.SecretKeySelector{Name: "passbolt", Key: "password"},
					PrivateKeySecretRef: esv1.SecretKeySelector{Name: "passbolt", Key: "privateKey"}}}}}}
		c, err := New(restclient.WithHTTPClient(srv.Client())).NewClient(testCtx(t), store, credsKube(t, armored, testPassphrase), "apps")
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	})
}

// TestSecretNotForThisKey: a secret the server holds encrypted to another key fails the
// read, naming why, and is not "not found".
func TestSecretNotForThisKey(t *testing.T) {
	f := startPassbolt(t, testUser())
	other := genKey(t, "other")
	id := f.Add(encryptTo(t, other, f.ServerKey(), []byte(`{"password":"not-yours-123"}`)),
		map[string]any{"name": "n", "resource_type_id": fakeTypeIDs["password-and-description"]})
	c := newTestClient(t, New(), pbStore(f))
	_, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id, Property: "password"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "its secret: cannot decrypt it with the key: it is not encrypted to this key") {
		t.Errorf("GetSecret of a secret encrypted to another key = %v", err)
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "ferry"
	for _, tt := range []struct {
		name string
		set  func(p *esv1.PassboltProvider)
		want bool
	}{
		{"refs follow the namespace", func(*esv1.PassboltProvider) {}, false},
		{"one ref names its namespace", func(p *esv1.PassboltProvider) { p.Auth.PasswordSecretRef.Namespace = &ns }, false},
		{"both refs name their namespace", func(p *esv1.PassboltProvider) {
			p.Auth.PasswordSecretRef.Namespace, p.Auth.PrivateKeySecretRef.Namespace = &ns, &ns
		}, true},
		{"a caProvider follows the namespace", func(p *esv1.PassboltProvider) {
			p.Auth.PasswordSecretRef.Namespace, p.Auth.PrivateKeySecretRef.Namespace = &ns, &ns
			p.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "ca", Key: "ca.crt"}
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := &esv1.PassboltProvider{Host: "https://passbolt.example.com"}
			tt.set(spec)
			store := &esv1.ClusterSecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Passbolt: spec}}}
			if got := New().SameForEveryNamespace(store); got != tt.want {
				t.Errorf("SameForEveryNamespace = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReadFailures: after a good login, a read the server fails is an error that says what
// happened, never "not found", and quotes no value; a 404 alone is "not found".
func TestReadFailures(t *testing.T) {
	f := startPassbolt(t, testUser())
	id := f.addV4(t, "password-and-description", entry{Name: "n", Password: "pw-kept-secret"})
	c := newTestClient(t, New(), pbStore(f))
	if _, err := c.Validate(testCtx(t)); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tt := range []struct {
		name     string
		fault    http.HandlerFunc
		want     string
		notFound bool
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusInternalServerError, "Internal error.", nil)
		}, "500: Internal error.", false},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusTooManyRequests, "Too many requests.", nil)
		}, provider.RateLimitHint, false},
		{"not an envelope", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>pw-kept-secret</html>"))
		}, "the answer is not Passbolt's JSON envelope (27 bytes)", false},
		{"bad request", func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusBadRequest, "The resource identifier should be a valid UUID.", nil)
		}, "400: The resource identifier should be a valid UUID.", false},
		{"not found", func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusNotFound, "The resource does not exist.", nil)
		}, "The resource does not exist.", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.SetFault(tt.fault)
			_, err := c.GetSecret(testCtx(t), esv1.ExternalSecretDataRemoteRef{Key: id})
			switch {
			case err == nil:
				t.Fatal("GetSecret succeeded")
			case errors.Is(err, provider.ErrNotFound) != tt.notFound:
				t.Errorf("GetSecret = %v: not found is %v, want %v", err, errors.Is(err, provider.ErrNotFound), tt.notFound)
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("GetSecret = %v, want %q", err, tt.want)
			case strings.Contains(err.Error(), "pw-kept-secret"):
				t.Errorf("GetSecret quotes the body: %v", err)
			}
		})
	}
}
