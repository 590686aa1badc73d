package onepassword

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/onepassword/onepasswordfake"
)

func newClient(t *testing.T, f *onepasswordfake.Server, vaults map[string]int) *Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), connectStore(f, vaults), tokenKube(connectToken), "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

func TestVaultOrderFieldsAndFiles(t *testing.T) {
	f := startConnect(t, "Prod", "Shared")
	f.Add("Shared", onepasswordfake.Item{Title: "db", Category: "LOGIN", Fields: []onepasswordfake.Field{{Label: "password", Value: "shared-pw"}}})
	id := f.Add("Prod", onepasswordfake.Item{Title: "db", Category: "LOGIN", Fields: []onepasswordfake.Field{{Label: "password", Value: "prod-pw"}, {Label: "user", Value: "admin"}}})
	f.Add("Shared", onepasswordfake.Item{Title: "only-shared", Category: "LOGIN", Fields: []onepasswordfake.Field{{Label: "password", Value: "s"}}})
	f.PutFile("f1", []byte("-----BEGIN CERT-----"))
	f.PutFile("f2", []byte("key-bytes"))
	f.Add("Prod", onepasswordfake.Item{Title: "tls", Category: "DOCUMENT", Files: []onepasswordfake.File{{ID: "f1", Name: "tls.crt"}, {ID: "f2", Name: "tls.key"}}})
	f.Add("Prod", onepasswordfake.Item{Title: "twice", Category: "LOGIN"})
	f.Add("Prod", onepasswordfake.Item{Title: "twice", Category: "LOGIN"})
	ctx := context.Background()
	c := newClient(t, f, map[string]int{"Prod": 1, "Shared": 2})
	for _, tc := range []struct{ key, prop, want string }{
		{"db", "", "prod-pw"}, {"db", "user", "admin"}, {"db", "field/user", "admin"}, {id, "user", "admin"},
		{"only-shared", "", "s"}, {"tls", "", "-----BEGIN CERT-----"}, {"tls", "tls.key", "key-bytes"}, {"tls", "file/tls.key", "key-bytes"},
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key, Property: tc.prop})
		if err != nil || string(got) != tc.want {
			t.Errorf("GetSecret(%s, %s) = %q, %v; want %q", tc.key, tc.prop, got, err, tc.want)
		}
	}
	// Vault order: Shared first finds the other item.
	shared := newClient(t, f, map[string]int{"Prod": 2, "Shared": 1})
	if got, err := shared.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil || string(got) != "shared-pw" {
		t.Errorf("with Shared first, db = %q, %v", got, err)
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"})
	if err != nil || len(m) != 2 || string(m["user"]) != "admin" {
		t.Errorf("GetSecretMap db = %v, %v", m, err)
	}
	files, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "tls"})
	if err != nil || len(files) != 2 || string(files["tls.key"]) != "key-bytes" {
		t.Errorf("GetSecretMap tls = %v, %v", files, err)
	}
	for _, ref := range []esv1.ExternalSecretDataRemoteRef{{Key: "twice"}, {Key: "db", Property: "absent"}, {Key: "db", Version: "2"}} {
		if _, err := c.GetSecret(ctx, ref); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret %+v = %v, want an error that is not ErrNotFound", ref, err)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "absent"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing item = %v, want ErrNotFound", err)
	}
	lookups := f.Requests("GET /v1/vaults")
	if lookups != 4 {
		t.Errorf("vault lookups = %d, want one per vault for each client's life (2 clients, 2 vaults)", lookups)
	}
}

func TestFind(t *testing.T) {
	f := startConnect(t, "Prod", "Shared")
	f.Add("Prod", onepasswordfake.Item{Title: "api", Category: "LOGIN", Tags: []string{"team-a"}, Fields: []onepasswordfake.Field{{Label: "API_KEY", Value: "prod"}, {Label: "note", Value: "n"}}})
	f.Add("Shared", onepasswordfake.Item{Title: "api", Category: "LOGIN", Tags: []string{"team-a"}, Fields: []onepasswordfake.Field{{Label: "API_KEY", Value: "shared"}, {Label: "API_URL", Value: "u"}}})
	f.Add("Prod", onepasswordfake.Item{Title: "other", Category: "LOGIN", Fields: []onepasswordfake.Field{{Label: "API_TOKEN", Value: "t"}}})
	ctx := context.Background()
	c := newClient(t, f, map[string]int{"Prod": 1, "Shared": 2})
	got, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^API_"}})
	if err != nil || len(got) != 3 || string(got["API_KEY"]) != "prod" || string(got["API_URL"]) != "u" {
		t.Errorf("find by field name = %v, %v", got, err)
	}
	title := "other"
	got, err = c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: &title})
	if err != nil || len(got) != 1 || string(got["API_TOKEN"]) != "t" {
		t.Errorf("find by item title = %v, %v", got, err)
	}
	got, err = c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Tags: map[string]string{"team-a": ""}})
	if err != nil || len(got) != 3 || got["API_TOKEN"] != nil {
		t.Errorf("find by tag = %v, %v", got, err)
	}
}

func TestPushSecret(t *testing.T) {
	f := startConnect(t, "Prod", "Staging")
	ctx := context.Background()
	c := newClient(t, f, map[string]int{"Prod": 1, "Staging": 2})
	if err := c.PushSecret(ctx, []byte("pw-1"), provider.PushRef{RemoteKey: "pushed"}); err != nil {
		t.Fatal(err)
	}
	it := f.ByTitle("Prod", "pushed")
	if it == nil || it.Category != "SERVER" || len(it.Fields) != 1 || it.Fields[0].Label != "password" || it.Fields[0].Value != "pw-1" {
		t.Fatalf("created item = %+v", it)
	}
	if err := c.PushSecret(ctx, []byte("pw-1"), provider.PushRef{RemoteKey: "pushed"}); err != nil || f.Count("PUT ") != 0 {
		t.Errorf("pushing the same value: %v, %d updates", err, f.Count("PUT "))
	}
	if err := c.PushSecret(ctx, []byte("admin"), provider.PushRef{RemoteKey: "pushed", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "pushed", Property: "user"}); err != nil || string(got) != "admin" {
		t.Errorf("pushed field = %q, %v", got, err)
	}
	meta := &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"vault":"Staging","tags":["ferry"]}}`)}
	if err := c.PushSecret(ctx, []byte("s"), provider.PushRef{RemoteKey: "staged", Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	if it := f.ByTitle("Staging", "staged"); it == nil || len(it.Tags) != 1 {
		t.Errorf("item in the metadata's vault = %+v", it)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "pushed", Property: "user"}); !ok || err != nil {
		t.Errorf("SecretExists = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "pushed", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if it := f.ByTitle("Prod", "pushed"); it == nil || len(it.Fields) != 1 {
		t.Errorf("after removing a field the item is %+v", it)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "pushed"}); err != nil {
		t.Fatal(err)
	}
	if f.ByTitle("Prod", "pushed") != nil {
		t.Error("an item without fields survived")
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "pushed"}); err != nil {
		t.Errorf("deleting a missing item = %v", err)
	}
}

func TestBadAnswers(t *testing.T) {
	f := startConnect(t, "Prod")
	f.Add("Prod", onepasswordfake.Item{Title: "db", Category: "LOGIN", Fields: []onepasswordfake.Field{{Label: "password", Value: "pw-9"}}})
	ctx := context.Background()
	bad, err := testProvider(f).NewClient(ctx, connectStore(f, map[string]int{"Prod": 1}), tokenKube("wrong"), "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"}); err == nil || !strings.Contains(err.Error(), "HTTP 401 Unauthorized: Invalid token signature") {
		t.Errorf("a wrong token = %v", err)
	}
	if res, err := bad.Validate(ctx); res != esv1.ValidationResultError || err == nil {
		t.Errorf("Validate with a wrong token = %v, %v", res, err)
	}
	missingVault := newClient(t, f, map[string]int{"Nope": 1})
	if _, err := missingVault.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing vault = %v, want an error that is not ErrNotFound", err)
	}
	f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/items") {
			w.Header().Set("Retry-After", "5")
			onepasswordfake.Fail(w, http.StatusTooManyRequests, "Too many requests")
			return true
		}
		return false
	})
	c := newClient(t, f, map[string]int{"Prod": 1})
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "db"}); err == nil || errors.Is(err, provider.ErrNotFound) ||
		!strings.Contains(err.Error(), "HTTP 429 Too Many Requests (retry after 5s)") {
		t.Errorf("a rate limit = %v", err)
	}
	if err := New().ValidateStore(connectStore(f, map[string]int{"A": 1, "B": 1})); err == nil || !strings.Contains(err.Error(), "share the order") {
		t.Errorf("two vaults of one order = %v", err)
	}
}
