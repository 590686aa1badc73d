package delinea

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/delinea/delineafake"
)

func newClient(t *testing.T, f *delineafake.Server, clientSecret string) *Client {
	t.Helper()
	return newClientOf(t, &Provider{}, f, clientSecret)
}

func newClientOf(t *testing.T, p *Provider, f *delineafake.Server, clientSecret string) *Client {
	t.Helper()
	store, kube := secretStore(f, clientSecret)
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// TestNestedDataAndAttributes checks nested properties, non-string values, and the
// attributes read with metadataPolicy Fetch.
func TestNestedDataAndAttributes(t *testing.T) {
	f := startDSV(t)
	f.Put("apps/db", map[string]any{"user": "admin", "port": 5432, "tls": map[string]any{"ca": "PEM"}},
		map[string]any{"owner": "team-a"})
	c := newClient(t, f, f.ClientSecret)
	ctx := context.Background()
	for prop, want := range map[string]string{"tls.ca": "PEM", "port": "5432", "tls": `{"ca":"PEM"}`} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "apps/db", Property: prop})
		if err != nil || string(got) != want {
			t.Errorf("property %q = %q, %v; want %q", prop, got, err, want)
		}
	}
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "apps/db", Property: "owner", MetadataPolicy: esv1.MetadataPolicyFetch})
	if err != nil || string(got) != "team-a" {
		t.Errorf("attribute owner = %q, %v", got, err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "apps/db", Version: "1"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a version read = %v, want a refusal", err)
	}
}

// TestTokenKeptAndReplaced checks one login for many reads, a new login once two thirds
// of the announced hour have passed, and one more once DSV refuses the token.
func TestTokenKeptAndReplaced(t *testing.T) {
	f := startDSV(t)
	f.Put("a", map[string]any{"k": "v"}, nil)
	now := time.Now()
	c := newClientOf(t, &Provider{cacheOpts: []credcache.Option{credcache.WithClock(func() time.Time { return now })}}, f, f.ClientSecret)
	ref := esv1.ExternalSecretDataRemoteRef{Key: "a", Property: "k"}
	read := func() {
		t.Helper()
		if _, err := c.GetSecret(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		read()
	}
	if f.Logins() != 1 {
		t.Errorf("5 reads made %d logins, want 1", f.Logins())
	}
	now = now.Add(41 * time.Minute)
	read()
	if f.Logins() != 2 {
		t.Errorf("logins = %d after 41 of 60 minutes, want 2", f.Logins())
	}
	now = now.Add(time.Minute)
	f.DropTokens()
	read()
	if f.Logins() != 3 {
		t.Errorf("logins = %d after the server dropped the token, want 3", f.Logins())
	}
}

// TestWrongCredentials checks that a refused login fails Validate with a reason a user
// acts on and without the client secret, and that reads are not "not found".
func TestWrongCredentials(t *testing.T) {
	f := startDSV(t)
	conformance.CheckRefusedCredentials(t, newClient(t, f, "wrong-client-secret"), "did not accept the client credentials", "wrong-client-secret")
}

// TestFailingServer checks that a server answering errors, garbage or nothing fails
// Validate and reads, never as "not found".
func TestFailingServer(t *testing.T) {
	f := startDSV(t)
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		f.URL = srv.URL
		return newClient(t, f, f.ClientSecret)
	})
}

func TestValidateStore(t *testing.T) {
	ref := &esv1.SecretKeySelector{Name: "s", Key: "k"}
	other := "other"
	for _, tt := range []struct {
		name string
		spec esv1.DelineaProvider
		want string
	}{
		{"ok", esv1.DelineaProvider{Tenant: "t", ClientID: esv1.InlineOrSecretValue{Value: "id"}, ClientSecret: esv1.InlineOrSecretValue{SecretRef: ref}}, ""},
		{"no tenant", esv1.DelineaProvider{ClientID: esv1.InlineOrSecretValue{Value: "id"}, ClientSecret: esv1.InlineOrSecretValue{SecretRef: ref}}, "spec.provider.delinea.tenant: required"},
		{"no secret", esv1.DelineaProvider{Tenant: "t", ClientID: esv1.InlineOrSecretValue{Value: "id"}}, "clientSecret: set value or secretRef"},
		{"both", esv1.DelineaProvider{Tenant: "t", ClientID: esv1.InlineOrSecretValue{Value: "id", SecretRef: ref}, ClientSecret: esv1.InlineOrSecretValue{SecretRef: ref}}, "clientId: set value or secretRef, not both"},
		{"other namespace", esv1.DelineaProvider{Tenant: "t", ClientID: esv1.InlineOrSecretValue{Value: "id"},
			ClientSecret: esv1.InlineOrSecretValue{SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &other}}}, "clientSecret.secretRef.namespace"},
		{"bad template", esv1.DelineaProvider{Tenant: "t", URLTemplate: "https://%s.example/%s", ClientID: esv1.InlineOrSecretValue{Value: "id"}, ClientSecret: esv1.InlineOrSecretValue{Value: "s"}}, "urlTemplate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Namespace: "apps"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Delinea: &tt.spec}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "dsv"
	for _, tt := range []struct {
		name   string
		secret esv1.InlineOrSecretValue
		want   bool
	}{
		{"inline", esv1.InlineOrSecretValue{Value: "s"}, true},
		{"named namespace", esv1.InlineOrSecretValue{SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &ns}}, true},
		{"the ExternalSecret's namespace", esv1.InlineOrSecretValue{SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "k"}}, false},
	} {
		store := &esv1.ClusterSecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.ClusterSecretStoreKind},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Delinea: &esv1.DelineaProvider{
				ClientID: esv1.InlineOrSecretValue{Value: "id"}, ClientSecret: tt.secret}}}}
		if got := (&Provider{}).SameForEveryNamespace(store); got != tt.want {
			t.Errorf("%s: SameForEveryNamespace = %v, want %v", tt.name, got, tt.want)
		}
	}
}
