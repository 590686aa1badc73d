package azurekv

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/ferryhq/ferry/internal/provider"
)

func envelope(spec string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":` + spec + `}`)}
}

// latest is what the server holds for name: its current version, its tags and how many
// versions it has.
func (f *fakeAzure) latest(t *testing.T, name string) (fakeVersion, map[string]string, int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[name]
	if !ok {
		t.Fatalf("the server has no secret %s", name)
	}
	return s.versions[len(s.versions)-1], maps.Clone(s.tags), len(s.versions)
}

func TestPushMetadata(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	c := newTestClient(t, f, store, kube)
	ctx := context.Background()
	push := func(value, spec string) {
		t.Helper()
		ref := provider.PushRef{RemoteKey: "api-token"}
		if spec != "" {
			ref.Metadata = envelope(spec)
		}
		if err := c.PushSecret(ctx, []byte(value), ref); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Date(2030, 12, 31, 20, 0, 0, 0, time.UTC).Unix()

	push("v1", `{"tags": {"team": "payments"}, "contentType": "text/plain", "expirationDate": "2030-12-31T21:00:00+01:00"}`)
	v, tags, n := f.latest(t, "api-token")
	if want := map[string]string{"team": "payments", provider.ManagedByTag: provider.ManagedByValue}; !maps.Equal(tags, want) || n != 1 {
		t.Fatalf("after create: tags %v, %d versions; want %v, 1", tags, n, want)
	}
	if v.value != "v1" || v.contentType != "text/plain" || v.exp != exp {
		t.Errorf("version = value %q, contentType %q, exp %d; want v1, text/plain, %d", v.value, v.contentType, v.exp, exp)
	}

	// The same value and metadata write nothing.
	push("v1", `{"tags": {"team": "payments"}, "contentType": "text/plain", "expirationDate": "2030-12-31T20:00:00Z"}`)
	if _, _, n := f.latest(t, "api-token"); n != 1 {
		t.Errorf("an unchanged push wrote a version (%d versions)", n)
	}

	// Changed tags alone are a new version carrying them (ESO waits for a value change).
	push("v1", `{"tags": {"team": "platform"}, "contentType": "text/plain", "expirationDate": "2030-12-31T20:00:00Z"}`)
	v, tags, n = f.latest(t, "api-token")
	if tags["team"] != "platform" || n != 2 || v.value != "v1" {
		t.Errorf("after a tag change: tags %v, %d versions, value %q", tags, n, v.value)
	}

	// Metadata without contentType keeps the current one; without expirationDate the new
	// version has none; its tags are the metadata's only.
	push("v2", `{"tags": {"tier": "gold"}}`)
	v, tags, _ = f.latest(t, "api-token")
	if v.contentType != "text/plain" || v.exp != 0 || !maps.Equal(tags, map[string]string{"tier": "gold", provider.ManagedByTag: provider.ManagedByValue}) {
		t.Errorf("after metadata with tags only: contentType %q, exp %d, tags %v", v.contentType, v.exp, tags)
	}

	// An entry without metadata keeps the version's tags, content type and expiry.
	push("v3", `{"tags": {"tier": "gold"}, "expirationDate": "2030-12-31T20:00:00Z"}`)
	push("v4", "")
	v, tags, _ = f.latest(t, "api-token")
	if v.value != "v4" || v.contentType != "text/plain" || v.exp != exp || tags["tier"] != "gold" {
		t.Errorf("after a push without metadata: value %q, contentType %q, exp %d, tags %v", v.value, v.contentType, v.exp, tags)
	}

	// Removing a property keeps them too.
	pref := provider.PushRef{RemoteKey: "object", Property: "user", Metadata: envelope(`{"contentType": "application/json", "tags": {"app": "a"}}`)}
	if err := c.PushSecret(ctx, []byte("admin"), pref); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("pw"), provider.PushRef{RemoteKey: "object", Property: "password", Metadata: pref.Metadata}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSecret(ctx, pref); err != nil {
		t.Fatal(err)
	}
	v, tags, _ = f.latest(t, "object")
	if v.value != `{"password":"pw"}` || v.contentType != "application/json" || tags["app"] != "a" || tags[provider.ManagedByTag] != provider.ManagedByValue {
		t.Errorf("after removing a property: value %s, contentType %q, tags %v", v.value, v.contentType, tags)
	}
}

func TestPushMetadataRefused(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	c := newTestClient(t, f, store, kube)
	for _, tc := range []struct{ name, spec, want string }{
		{"unknown key", `{"notBefore": "2030-01-01T00:00:00Z"}`, "metadata.spec.notBefore: the azurekv provider does not read this key (it reads: contentType, expirationDate, tags)"},
		{"managed-by tag", `{"tags": {"managed-by": "me"}}`, "metadata.spec.tags.managed-by: set by Ferry itself"},
		{"expiry not RFC 3339", `{"expirationDate": "31/12/2030"}`, `metadata.spec.expirationDate: "31/12/2030" is not an RFC 3339 time`},
		{"tags not a map", `{"tags": "a=b"}`, "metadata.spec.tags: must be a map[string]string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.PushSecret(context.Background(), []byte("v"), provider.PushRef{RemoteKey: "refused", Metadata: envelope(tc.spec)})
			if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidMetadata saying %q", err, tc.want)
			}
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.secrets["refused"]; ok {
		t.Error("refused metadata still created the secret")
	}
}
