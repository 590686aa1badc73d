package pulumi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

// TestReadValues reads strings, numbers, booleans, objects and arrays by property path, in
// the forms ESC's paths take, and spreads an object.
func TestReadValues(t *testing.T) {
	f := startESC(t)
	f.Set("db", map[string]any{"user": "admin", "port": 5432, "tls": true, "hosts": []any{"a.example", "b.example"}})
	f.Set("api-key", "k-123")
	f.Set("my.dotted", "dots")
	c := newClient(t, f.APIURL(), testToken)
	ctx := context.Background()
	for _, tc := range []struct{ key, property, want string }{
		{"api-key", "", "k-123"},
		{"db.user", "", "admin"},
		{"db.port", "", "5432"},
		{"db.tls", "", "true"},
		{"db.hosts[1]", "", "b.example"},
		{"db.hosts", "", `["a.example","b.example"]`},
		{`["my.dotted"]`, "", "dots"},
		{"db", "user", "admin"},
		{"db", "hosts.0", "a.example"},
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key, Property: tc.property})
		if err != nil || string(got) != tc.want {
			t.Errorf("%s (property %q) = %q, %v; want %q", tc.key, tc.property, got, err, tc.want)
		}
	}
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"})
	if err != nil || string(got) != `{"hosts":["a.example","b.example"],"port":5432,"tls":true,"user":"admin"}` {
		t.Errorf("an object = %s, %v; want its plain JSON, without ESC's value wrappers", got, err)
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"})
	if err != nil || string(m["user"]) != "admin" || string(m["port"]) != "5432" || string(m["hosts"]) != `["a.example","b.example"]` {
		t.Errorf("GetSecretMap db = %q, %v", m, err)
	}
	if f.Count("POST open") != 1 {
		t.Errorf("%d reads opened the environment %d times, want once", 11, f.Count("POST open"))
	}
	for _, ref := range []esv1.ExternalSecretDataRemoteRef{{Key: "db", Version: "3"}, {Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch}} {
		if _, err := c.GetSecret(ctx, ref); err == nil {
			t.Errorf("%+v was accepted", ref)
		}
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: ".*"}}); !errors.Is(err, provider.ErrFindNotSupported) {
		t.Errorf("find = %v, want ErrFindNotSupported, as in ESO", err)
	}
}

// TestSessions checks that one open session serves the reads of a few seconds, that a
// later read opens the environment again and sees what changed, and that a property added
// after the session was opened is read, not reported missing.
func TestSessions(t *testing.T) {
	f := startESC(t)
	f.SetNumericIDs() // the REST reference's example answers a number
	f.Set("token", "one")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var clock sync.Mutex
	p := New()
	p.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	sc, err := p.NewClient(context.Background(), pulumiStore(f.APIURL()), kubeWithToken(testToken), "apps")
	if err != nil {
		t.Fatal(err)
	}
	c := sc.(*Client)
	ctx := context.Background()
	read := func(key string) string {
		t.Helper()
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
		if err != nil {
			t.Fatalf("GetSecret %s: %v", key, err)
		}
		return string(got)
	}
	if first, second := read("token"), read("token"); first != "one" || second != "one" || f.Count("POST open") != 1 {
		t.Fatalf("two reads opened %d sessions, want 1", f.Count("POST open"))
	}
	f.Set("token", "two")
	f.Set("added", "new")
	if got := read("added"); got != "new" {
		t.Errorf("a property added after the session opened = %q", got)
	}
	clock.Lock()
	now = now.Add(sessionReuse)
	clock.Unlock()
	if got := read("token"); got != "two" {
		t.Errorf("after %s the read gave %q, want the changed value", sessionReuse, got)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "missing"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing property = %v, want ErrNotFound", err)
	}
}

// TestHeaders checks the token and media type Pulumi's REST API asks for.
func TestHeaders(t *testing.T) {
	f := startESC(t)
	var auth string
	f.SetFault(func(_ http.ResponseWriter, r *http.Request) bool { auth = r.Header.Get("Authorization"); return false })
	f.Set("k", "v")
	if _, err := newClient(t, f.APIURL(), testToken).GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if auth != "token "+testToken || f.Accept() != "application/vnd.pulumi+8" {
		t.Errorf("Authorization %q, Accept %q", auth, f.Accept())
	}
}

// TestBadAnswers checks that Pulumi's failures become errors naming the status, Pulumi's
// message and what to check, never a value or the token, and "not found" only for a
// missing property.
func TestBadAnswers(t *testing.T) {
	f := startESC(t)
	f.Set("k", "secret-value")
	ctx := context.Background()

	_, err := newClient(t, f.APIURL(), "pul-wrong-token-value").Validate(ctx)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), field+".auth.accessToken") ||
		strings.Contains(err.Error(), "pul-wrong-token-value") {
		t.Errorf("Validate with a wrong token = %v", err)
	}
	if res, err := newClient(t, f.APIURL(), testToken).Validate(ctx); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}
	// A store naming an environment that does not exist: an error, not "not found".
	store := pulumiStore(f.APIURL())
	store.Spec.Provider.Pulumi.Environment = "staging"
	sc, err := New().NewClient(ctx, store, kubeWithToken(testToken), "apps")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sc.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "k"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "no environment acme/payments/staging") {
		t.Errorf("a missing environment = %v, want an error naming it that is not ErrNotFound", err)
	}

	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"forbidden", http.StatusForbidden, `{"code":403,"message":"Forbidden"}`, "HTTP 403 Forbidden: Forbidden (the token may not open environment acme/payments/prod)"},
		{"rate limited", http.StatusTooManyRequests, `{"code":429,"message":"Too Many Requests"}`, provider.RateLimitHint},
		{"server error", http.StatusInternalServerError, `{"code":500,"message":"Internal Server Error"}`, "HTTP 500"},
		{"truncated", http.StatusOK, `{"value":"secret-val`, "ends too early"},
		{"not a value", http.StatusOK, `["secret-value"]`, "not an ESC value"},
		{"unknown", http.StatusOK, `{"value":null,"unknown":true}`, "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet {
					return false
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
				return true
			})
			t.Cleanup(func() { f.SetFault(nil) })
			_, err := newClient(t, f.APIURL(), testToken).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "k"})
			if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("GetSecret = %v, want an error with %q that is not ErrNotFound", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret-val") {
				t.Errorf("the error quotes the value: %v", err)
			}
		})
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	for _, tc := range []struct {
		name  string
		edit  func(*esv1.PulumiProvider)
		want  string
		class error // nil: refused; provider.ErrAdmittedMistake: admitted, as ESO admits it
	}{
		{"ok", func(*esv1.PulumiProvider) {}, "", nil},
		{"older accessToken", func(p *esv1.PulumiProvider) { p.AccessToken, p.Auth = p.Auth.AccessToken, nil }, "", nil},
		{"no organization", func(p *esv1.PulumiProvider) { p.Organization = "" }, field + ".organization: required", nil},
		{"no environment", func(p *esv1.PulumiProvider) { p.Environment = "" }, field + ".environment: required", nil},
		{"no auth", func(p *esv1.PulumiProvider) { p.Auth = nil }, "set auth.accessToken", nil},
		{"two auths", func(p *esv1.PulumiProvider) { p.AccessToken = p.Auth.AccessToken }, "not several", nil},
		{"no secretRef", func(p *esv1.PulumiProvider) { p.Auth.AccessToken.SecretRef = nil }, field + ".auth.accessToken.secretRef: required", nil},
		{"other namespace", func(p *esv1.PulumiProvider) { p.Auth.AccessToken.SecretRef.Namespace = &other }, ".secretRef.namespace", nil},
		{"bad url", func(p *esv1.PulumiProvider) { p.APIURL = "api.pulumi.com" }, field + ".apiUrl", provider.ErrAdmittedMistake},
		{"oidc", func(p *esv1.PulumiProvider) { p.Auth = oidcStore("").Spec.Provider.Pulumi.Auth }, "", nil},
		{"oidc without organization", func(p *esv1.PulumiProvider) {
			p.Auth = oidcStore("").Spec.Provider.Pulumi.Auth
			p.Auth.OIDCConfig.Organization = ""
		}, field + ".auth.oidcConfig.organization: required", nil},
		{"oidc short token", func(p *esv1.PulumiProvider) {
			p.Auth = oidcStore("").Spec.Provider.Pulumi.Auth
			p.Auth.OIDCConfig.ExpirationSeconds = 60
		}, ".expirationSeconds: 60 is less than 600", nil},
		{"oidc in another namespace", func(p *esv1.PulumiProvider) {
			p.Auth = oidcStore("").Spec.Provider.Pulumi.Auth
			p.Auth.OIDCConfig.ServiceAccountRef.Namespace = &other
		}, ".serviceAccountRef.namespace", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := pulumiStore(DefaultAPIURL)
			tc.edit(store.Spec.Provider.Pulumi)
			conformance.CheckStoreError(t, New().ValidateStore(store), tc.want, tc.class)
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	store := pulumiStore(DefaultAPIURL)
	if New().SameForEveryNamespace(store) {
		t.Error("a token ref without a namespace is the same for every namespace")
	}
	ns := "pulumi"
	store.Spec.Provider.Pulumi.Auth.AccessToken.SecretRef.Namespace = &ns
	if !New().SameForEveryNamespace(store) {
		t.Error("a namespaced token ref is not the same for every namespace")
	}
}
