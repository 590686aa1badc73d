package doppler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/doppler/dopplerfake"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const downloadKey = "GET /v3/configs/config/secrets/download"

func newClient(t *testing.T, f *dopplerfake.Server, store esv1.GenericStore, kube client.Client) *Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

// startWithConfig serves one config holding a few secrets, readable with personalTok.
func startWithConfig(t *testing.T) *dopplerfake.Server {
	f := startDoppler(t)
	f.AddPersonalToken(personalTok)
	f.SetConfig(testScope, map[string]string{"API_KEY": "k-123", "DB": `{"user":"admin","password":"pw"}`, "DB_HOST": "db.internal"})
	return f
}

// TestOneDownloadServesEveryExternalSecretOfAStore reads 100 keys of one config through
// the fetcher, as 100 ExternalSecrets on one store do in a refresh cycle, and counts the
// downloads at the server: one per cycle.
func TestOneDownloadServesEveryExternalSecretOfAStore(t *testing.T) {
	f := startDoppler(t)
	f.AddPersonalToken(personalTok)
	values := map[string]string{}
	for i := range 100 {
		values[fmt.Sprintf("KEY_%d", i)] = fmt.Sprintf(`{"n":"%d"}`, i)
	}
	f.SetConfig(testScope, values)
	now := time.Now()
	var clock sync.Mutex
	fetcher := fetch.New(provider.NewRegistry(testProvider(f)), kubeWith(personalTok, nil),
		fetch.Options{Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	src := fetch.Source{Store: tokenStore(), Namespace: "apps", MaxAge: time.Minute}
	cycle := func() {
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
	}
	cycle()
	if n := f.Count(downloadKey); n != 1 {
		t.Fatalf("100 reads of one config made %d downloads, want 1", n)
	}
	cycle() // within MaxAge: served from the document
	if n := f.Count(downloadKey); n != 1 {
		t.Fatalf("a second cycle within the refresh interval made %d downloads in all, want 1", n)
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	cycle()
	if n := f.Count(downloadKey); n != 2 {
		t.Fatalf("the next refresh cycle made %d downloads in all, want 2", n)
	}
	// A key the config lacks is "not found", from the same document.
	if _, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "ABSENT"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing key = %v, want ErrNotFound", err)
	}
}

func TestTokens(t *testing.T) {
	f := startWithConfig(t)
	f.AddServiceToken(serviceTok, testScope)
	ctx := context.Background()
	// A service token names its own config: the store sets no project or config.
	serviceStore := dopplerStore(esv1.DopplerProvider{
		Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: esv1.SecretKeySelector{Name: "doppler-token", Key: "token"}}}})
	for name, tc := range map[string]struct {
		store esv1.GenericStore
		token string
	}{"service token": {serviceStore, serviceTok}, "personal token": {tokenStore(), personalTok}} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, f, tc.store, kubeWith(tc.token, nil))
			got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "user"})
			if err != nil || string(got) != "admin" {
				t.Errorf("GetSecret = %q, %v", got, err)
			}
			if res, err := c.Validate(ctx); res != esv1.ValidationResultReady || err != nil {
				t.Errorf("Validate = %v, %v", res, err)
			}
		})
	}
	c := newClient(t, f, tokenStore(), kubeWith("dp.pt.revoked", nil))
	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "DB"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "Invalid Auth token") {
		t.Errorf("a refused token = %v, want HTTP 401 with Doppler's message", err)
	}
	if res, err := c.Validate(ctx); res != esv1.ValidationResultError || err == nil {
		t.Errorf("Validate with a refused token = %v, %v", res, err)
	}
}

func TestOIDCExchangesOnceAndAgainWhenRefused(t *testing.T) {
	f := startWithConfig(t)
	f.SetOIDC(identityID, saToken)
	reqs := &tokenRequests{}
	c := newClient(t, f, oidcStore(), kubeWith("", reqs))
	ctx := context.Background()
	for range 5 {
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"}); err != nil {
			t.Fatal(err)
		}
	}
	if f.Logins() != 1 {
		t.Fatalf("5 reads exchanged %d tokens, want 1", f.Logins())
	}
	want := []string{f.URL, "secretStore:apps:doppler"}
	if len(reqs.audiences) != 1 || strings.Join(reqs.audiences[0], ",") != strings.Join(want, ",") {
		t.Errorf("ServiceAccount token audiences = %v, want once %v", reqs.audiences, want)
	}
	// Doppler revokes the token: the read fails, and the next one exchanges again.
	f.RevokePersonalTokens()
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"}); restclient.Status(err) != http.StatusUnauthorized {
		t.Fatalf("a read with a revoked token = %v, want HTTP 401", err)
	}
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"}); err != nil || string(got) != "k-123" {
		t.Fatalf("the read after a refusal = %q, %v", got, err)
	}
	if f.Logins() != 2 {
		t.Errorf("exchanges = %d, want 2", f.Logins())
	}
	// A wrong identity is refused with Doppler's status.
	f.SetOIDC("another", saToken)
	c2 := newClient(t, f, oidcStore(), kubeWith("", nil))
	if _, err := c2.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"}); err == nil || !strings.Contains(err.Error(), "identity") {
		t.Errorf("a refused exchange = %v", err)
	}
}

func TestFind(t *testing.T) {
	f := startWithConfig(t)
	ctx := context.Background()
	c := newClient(t, f, tokenStore(), kubeWith(personalTok, nil))
	all, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{})
	if err != nil || len(all) != 3 {
		t.Errorf("find without conditions = %v keys, %v; want the whole config (3)", len(all), err)
	}
	byName, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^DB"}})
	if err != nil || len(byName) != 2 || string(byName["DB_HOST"]) != "db.internal" {
		t.Errorf("find by name = %v, %v", keysOf(byName), err)
	}
	path := "API"
	byPath, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: &path})
	if err != nil || len(byPath) != 1 || string(byPath["API_KEY"]) != "k-123" {
		t.Errorf("find by path = %v, %v", keysOf(byPath), err)
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"a": "b"}}); err == nil {
		t.Error("find by tags gave no error")
	}

	transformed := tokenStore()
	transformed.GetSpec().Provider.Doppler.NameTransformer = "lower-snake"
	got, err := newClient(t, f, transformed, kubeWith(personalTok, nil)).GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^db_host$"}})
	if err != nil || string(got["db_host"]) != "db.internal" {
		t.Errorf("find with nameTransformer lower-snake = %v, %v", keysOf(got), err)
	}

	file := tokenStore()
	file.GetSpec().Provider.Doppler.Format = "env"
	got, err = newClient(t, f, file, kubeWith(personalTok, nil)).GetAllSecrets(ctx, esv1.ExternalSecretFind{})
	if err != nil || len(got) != 1 || !strings.Contains(string(got[secretsFileKey]), `API_KEY="k-123"`) {
		t.Errorf("find with format env = %q, %v", got[secretsFileKey], err)
	}
}

func TestReadsRefuseVersionsAndMetadata(t *testing.T) {
	f := startWithConfig(t)
	c := newClient(t, f, tokenStore(), kubeWith(personalTok, nil))
	for _, ref := range []esv1.ExternalSecretDataRemoteRef{
		{Key: "DB", Version: "3"}, {Key: "DB", MetadataPolicy: esv1.MetadataPolicyFetch},
	} {
		if _, err := c.GetSecret(context.Background(), ref); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret %+v = %v, want an error that is not ErrNotFound", ref, err)
		}
	}
	if f.Count(downloadKey) != 0 {
		t.Error("a refused ref still called Doppler")
	}
}

func TestPushSecret(t *testing.T) {
	f := startWithConfig(t)
	ctx := context.Background()
	c := newClient(t, f, tokenStore(), kubeWith(personalTok, nil))
	const updates = "POST /v3/configs/config/secrets"

	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "NEW_KEY"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get(testScope, "NEW_KEY"); v != "v1" {
		t.Errorf("pushed value = %q", v)
	}
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "NEW_KEY"}); err != nil || f.Count(updates) != 1 {
		t.Errorf("pushing the same value again: %v, %d updates in all, want 1", err, f.Count(updates))
	}
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "NEW_KEY"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get(testScope, "NEW_KEY"); v != "v2" {
		t.Errorf("updated value = %q", v)
	}
	// Properties merge into a JSON object, keeping its other keys.
	if err := c.PushSecret(ctx, []byte("root"), provider.PushRef{RemoteKey: "DB", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get(testScope, "DB"); v != `{"password":"pw","user":"root"}` {
		t.Errorf("DB after a property push = %s", v)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "DB", Property: "password"}); !ok || err != nil {
		t.Errorf("SecretExists DB.password = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "DB", Property: "password"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get(testScope, "DB"); v != `{"user":"root"}` {
		t.Errorf("DB after a property delete = %s", v)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "NEW_KEY"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Get(testScope, "NEW_KEY"); ok {
		t.Error("NEW_KEY survived its delete")
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "NEW_KEY"}); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "NEW_KEY"}); err != nil {
		t.Errorf("deleting a missing secret = %v, want nil", err)
	}
	// Doppler refuses a lower-case name; the error quotes neither the value nor the body.
	err := c.PushSecret(ctx, []byte("hush-hush"), provider.PushRef{RemoteKey: "lower"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || strings.Contains(err.Error(), "hush-hush") {
		t.Errorf("pushing an invalid name = %v", err)
	}
}

// TestBadAnswers checks that each failure Doppler (or the network) can give is an error
// that says what happened, and is never "not found" (which would delete the target).
func TestBadAnswers(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request) bool
		want  string
	}{
		{"forbidden", func(w http.ResponseWriter, _ *http.Request) bool {
			dopplerfake.Fail(w, http.StatusForbidden, "This token does not have access to requested config")
			return true
		}, "HTTP 403 Forbidden: This token does not have access"},
		{"missing config", func(w http.ResponseWriter, _ *http.Request) bool {
			dopplerfake.Fail(w, http.StatusNotFound, "Could not find requested config 'prd'")
			return true
		}, "HTTP 404"},
		{"rate limited", func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Retry-After", "30")
			dopplerfake.Fail(w, http.StatusTooManyRequests, "Rate limit exceeded")
			return true
		}, "HTTP 429 Too Many Requests (retry after 30s)"},
		{"server error", func(w http.ResponseWriter, _ *http.Request) bool {
			dopplerfake.Fail(w, http.StatusInternalServerError, "Internal error")
			return true
		}, "HTTP 500"},
		{"truncated JSON", func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"API_KEY":"k-1`))
			return true
		}, "ends too early"},
		{"hang", func(_ http.ResponseWriter, r *http.Request) bool {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
			return true
		}, "no answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startWithConfig(t)
			f.SetFault(tc.fault)
			hc := f.Client()
			hc.Timeout = 300 * time.Millisecond
			c, err := New(WithBaseURL(f.URL), WithHTTPClient(hc)).NewClient(context.Background(), tokenStore(), kubeWith(personalTok, nil), "apps")
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "API_KEY"})
			if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetSecret = %v, want an error with %q that is not ErrNotFound", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "k-1") {
				t.Errorf("the error quotes the answer: %v", err)
			}
		})
	}
}

func TestValidateStore(t *testing.T) {
	ref := esv1.SecretKeySelector{Name: "t", Key: "k"}
	other := "other"
	for _, tc := range []struct {
		name string
		spec esv1.DopplerProvider
		want string
	}{
		{"ok", esv1.DopplerProvider{Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: ref}}}, ""},
		{"no auth", esv1.DopplerProvider{}, "exactly one"},
		{"project without config", esv1.DopplerProvider{Project: "p", Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: ref}}}, "both project and config"},
		{"other namespace", esv1.DopplerProvider{Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{
			DopplerToken: esv1.SecretKeySelector{Name: "t", Key: "k", Namespace: &other}}}}, "its own namespace"},
		{"oidc without identity", esv1.DopplerProvider{Auth: esv1.DopplerAuth{OIDCConfig: &esv1.DopplerOIDCConfig{
			ServiceAccountRef: esv1.ServiceAccountSelector{Name: "sa"}}}}, "identity: required"},
		{"bad format", esv1.DopplerProvider{Format: "xml", Auth: esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: ref}}}, "format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := New().ValidateStore(dopplerStore(tc.spec))
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("ValidateStore = %v, want %q", err, tc.want)
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
