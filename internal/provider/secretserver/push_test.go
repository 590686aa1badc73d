package secretserver

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/secretserver/secretserverfake"
)

// pushMeta is ESO's metadata envelope with spec as given.
func pushMeta(spec string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":` + spec + `}`)}
}

func writes(f *secretserverfake.Server) map[string]int {
	return map[string]int{"stub": f.CallCount("stub"), "create": f.CallCount("create"), "update": f.CallCount("update"), "delete": f.CallCount("delete")}
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestPushCreateUpdateUnchanged creates a secret from a template in a folder, updates one
// field, and pushes the value already there without a write, reading back what the
// server stored.
func TestPushCreateUpdateUnchanged(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	meta := pushMeta(`{"folderId":12,"secretTemplateId":6010}`)
	ref := provider.PushRef{RemoteKey: "app-db", Property: "password", Metadata: meta}

	if err := c.PushSecret(ctx, []byte("pw-1"), ref); err != nil {
		t.Fatalf("create: %v", err)
	}
	if got, ok := f.Field("app-db", "password"); !ok || got != "pw-1" {
		t.Fatalf("stored password = %q, %v; want pw-1", got, ok)
	}
	if got, _ := f.Field("app-db", "username"); got != "" {
		t.Errorf("username = %q; the push set only the password", got)
	}
	if w := writes(f); w["stub"] != 1 || w["create"] != 1 || w["update"] != 0 {
		t.Errorf("create calls = %v; want one stub and one create", w)
	}
	var created secretserverfake.Secret
	for _, s := range f.Secrets() {
		created = s
	}
	if created.FolderID != 12 || created.TemplateID != 6010 {
		t.Errorf("created in folder %d from template %d; want 12, 6010", created.FolderID, created.TemplateID)
	}

	before := writes(f)
	if err := c.PushSecret(ctx, []byte("pw-1"), ref); err != nil {
		t.Fatalf("unchanged push: %v", err)
	}
	if after := writes(f); !sameCounts(before, after) {
		t.Errorf("pushing the value already there wrote: %v -> %v", before, after)
	}

	if err := c.PushSecret(ctx, []byte("pw-2"), ref); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got, _ := f.Field("app-db", "password"); got != "pw-2" {
		t.Errorf("password after update = %q; want pw-2", got)
	}
	if w := writes(f); w["update"] != 1 || w["create"] != 1 {
		t.Errorf("calls after update = %v; want one update and still one create", w)
	}

	// Without a property the first field is written, as ESO writes it, and read back by
	// extract.
	whole := provider.PushRef{RemoteKey: "app-db", Metadata: meta}
	if err := c.PushSecret(ctx, []byte(`{"user":"app"}`), whole); err != nil {
		t.Fatalf("push to the first field: %v", err)
	}
	got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "app-db"})
	if err != nil || string(got["user"]) != "app" {
		t.Errorf("extract after the push = %q, %v; want user=app", got, err)
	}
	if count := len(f.Secrets()); count != 1 {
		t.Errorf("the server holds %d secrets; want 1", count)
	}
}

// TestPushCreateByPathAndWholeTemplate creates by a folder path (named after its last
// segment) into the first field of a one-field template; the next push finds it by that
// path and creates no other. A path whose folder is not folderId's creates nothing.
func TestPushCreateByPathAndWholeTemplate(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "/Ferry/Pushed/orders-config", Metadata: pushMeta(`{"folderId":12,"secretTemplateId":6003}`)}
	if err := c.PushSecret(ctx, []byte(`{"a":"1"}`), ref); err != nil {
		t.Fatalf("create by path: %v", err)
	}
	if err := c.PushSecret(ctx, []byte(`{"a":"2"}`), ref); err != nil {
		t.Fatalf("update by path: %v", err)
	}
	if got, ok := f.Field("orders-config", "data"); !ok || got != `{"a":"2"}` {
		t.Errorf("stored data = %q, %v", got, ok)
	}
	if w := writes(f); w["create"] != 1 || w["update"] != 1 || f.CallCount("folder") != 1 {
		t.Errorf("calls = %v, %d folder reads; want one create, one update, one folder read", w, f.CallCount("folder"))
	}
	other := provider.PushRef{RemoteKey: "/Apps/Prod/orders-config", Metadata: pushMeta(`{"folderId":13,"secretTemplateId":6003}`)}
	err := c.PushSecret(ctx, []byte(`{"a":"3"}`), other)
	if err == nil || !strings.Contains(err.Error(), `folder 13 that the push metadata names is "\\Ferry\\Other", not /Apps/Prod`) {
		t.Errorf("create by a path outside folderId: %v", err)
	}
	if n := f.CallCount("create"); n != 1 {
		t.Errorf("%d creates; want still 1", n)
	}
}

// TestPushCreateNeedsMetadata refuses to create without a folder and template, or under
// an id, or with a property the template lacks, without any write.
func TestPushCreateNeedsMetadata(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		ref  provider.PushRef
		want string
	}{
		{"no metadata", provider.PushRef{RemoteKey: "app-db"}, "set folderId and secretTemplateId"},
		{"no template", provider.PushRef{RemoteKey: "app-db", Metadata: pushMeta(`{"folderId":12}`)}, "set folderId and secretTemplateId"},
		{"an id", provider.PushRef{RemoteKey: "9999", Metadata: pushMeta(`{"folderId":12,"secretTemplateId":6010}`)}, "cannot be created under an id"},
		{"unknown field", provider.PushRef{RemoteKey: "app-db", Property: "pin", Metadata: pushMeta(`{"folderId":12,"secretTemplateId":6010}`)},
			`no field whose slug or name is "pin"`},
		{"unknown template", provider.PushRef{RemoteKey: "app-db", Metadata: pushMeta(`{"folderId":12,"secretTemplateId":77}`)}, "Secret Template not found"},
	} {
		err := c.PushSecret(ctx, []byte("v-secret-1"), tt.ref)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "v-secret-1") {
			t.Errorf("%s: err = %v; want it to say %q without the value", tt.name, err, tt.want)
		}
	}
	if n := f.CallCount("create"); n != 0 || len(f.Secrets()) != 0 {
		t.Errorf("%d creates, %d secrets; want none", n, len(f.Secrets()))
	}
}

// TestPushMetadataRefused names an unknown key and refuses it as InvalidSpec.
func TestPushMetadataRefused(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	err := c.PushSecret(context.Background(), []byte("v"), provider.PushRef{RemoteKey: "x", Metadata: pushMeta(`{"folderId":1,"siteId":3}`)})
	if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), "siteId") || !strings.Contains(err.Error(), "folderId, secretTemplateId") {
		t.Errorf("err = %v; want invalid metadata naming siteId and the keys read", err)
	}
}

// TestPushTouchesOnlyTheNamedSecret: a name matches exactly (a search also finds
// "orders-db-old"), and with folderId a secret in another folder is neither overwritten
// nor deleted.
func TestPushTouchesOnlyTheNamedSecret(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	oldID := f.Put("/Apps/Prod", "orders-db-old", dbItems()...)
	meta := pushMeta(`{"folderId":12,"secretTemplateId":6010}`)

	if err := c.PushSecret(ctx, []byte("new-pw"), provider.PushRef{RemoteKey: "orders-db", Property: "password", Metadata: meta}); err != nil {
		t.Fatalf("push: %v", err)
	}
	if got, _ := f.Field("orders-db-old", "password"); got != "pw-9f2c" {
		t.Errorf("orders-db-old's password = %q; a push to orders-db changed it", got)
	}
	if got, _ := f.Field("orders-db", "password"); got != "new-pw" {
		t.Errorf("orders-db's password = %q; want new-pw", got)
	}

	other := provider.PushRef{RemoteKey: "orders-db-old", Property: "password", Metadata: pushMeta(`{"folderId":10,"secretTemplateId":6010}`)}
	byID := provider.PushRef{RemoteKey: "41", Property: "password", Metadata: meta}
	if oldID != 41 {
		t.Fatalf("seeded id %d; the test names 41", oldID)
	}
	before := writes(f)
	if err := c.PushSecret(ctx, []byte("stolen"), byID); !errors.Is(err, provider.ErrNotManaged) || !strings.Contains(err.Error(), "folder 10, not in folder 12") {
		t.Errorf("push by id to another folder: err = %v; want ErrNotManaged naming both folders", err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "/Apps/Prod/orders-db-old", Metadata: meta}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("delete by path in another folder: err = %v; want ErrNotManaged", err)
	}
	if after := writes(f); !sameCounts(before, after) {
		t.Errorf("refused calls wrote: %v -> %v", before, after)
	}
	if got, ok := f.Field("orders-db-old", "password"); !ok || got != "pw-9f2c" {
		t.Errorf("orders-db-old after refusals = %q, %v", got, ok)
	}
	// Named with its own folder, it is written.
	if err := c.PushSecret(ctx, []byte("rotated"), other); err != nil {
		t.Fatalf("push in its own folder: %v", err)
	}
	if got, _ := f.Field("orders-db-old", "password"); got != "rotated" {
		t.Errorf("orders-db-old's password = %q; want rotated", got)
	}
}

// TestDeleteAndExists deletes a whole secret (gone is not an error), empties one field
// with a property (deleting the secret when that field was all it held), and answers
// SecretExists, which updatePolicy IfNotExists asks.
func TestDeleteAndExists(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	f.Put("/Apps/Prod", "orders-db", dbItems()...)
	f.Put("/Apps/Prod", "cache", dbItems()...)

	exists := func(ref provider.PushRef) bool {
		t.Helper()
		ok, err := c.SecretExists(ctx, ref)
		if err != nil {
			t.Fatalf("SecretExists(%q, %q): %v", ref.RemoteKey, ref.Property, err)
		}
		return ok
	}
	if !exists(provider.PushRef{RemoteKey: "orders-db"}) || !exists(provider.PushRef{RemoteKey: "41", Property: "password"}) {
		t.Error("SecretExists: an existing secret and field are reported missing")
	}
	if exists(provider.PushRef{RemoteKey: "orders"}) || exists(provider.PushRef{RemoteKey: "/Apps/Prod/nothing"}) || exists(provider.PushRef{RemoteKey: "404"}) {
		t.Error("SecretExists: a missing secret (a name that only partly matches, a path, an id) is reported present")
	}

	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "cache", Property: "password"}); err != nil {
		t.Fatalf("delete a field: %v", err)
	}
	if got, ok := f.Field("cache", "password"); !ok || got != "" {
		t.Errorf("cache's password after deleting the property = %q, %v; want an empty field", got, ok)
	}
	if got, _ := f.Field("cache", "username"); got != "admin" {
		t.Errorf("cache's username = %q; deleting the password changed it", got)
	}
	if exists(provider.PushRef{RemoteKey: "cache", Property: "password"}) {
		t.Error("SecretExists: an emptied field is reported present")
	}

	// A field that is all its secret holds (as in a secret a push created) takes the secret
	// with it.
	f.Put("/Apps/Prod", "lonely", fakeItem{Name: "Username", Slug: "username"}, fakeItem{Name: "Password", Slug: "password", Value: "x"})
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "lonely", Property: "password"}); err != nil {
		t.Fatalf("delete the last field: %v", err)
	}
	if _, ok := f.Field("lonely", "password"); ok || f.CallCount("delete") != 1 {
		t.Errorf("after deleting its only value, lonely is still stored (%d DELETE calls)", f.CallCount("delete"))
	}

	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "orders-db"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := f.Field("orders-db", "password"); ok {
		t.Error("orders-db is still stored after DeleteSecret")
	}
	if n := f.CallCount("delete"); n != 2 {
		t.Errorf("%d DELETE calls; want 2", n)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "orders-db"}); err != nil {
		t.Errorf("deleting a secret that is gone: %v", err)
	}
	if n := f.CallCount("delete"); n != 2 {
		t.Errorf("%d DELETE calls after deleting a missing secret; want still 2", n)
	}
}

// TestPushErrors: a secret the user may not edit, a file field and a value that is not
// text are errors that name the secret, never the value.
func TestPushErrors(t *testing.T) {
	f := startSS(t)
	c := newClient(t, f, f.Password)
	ctx := context.Background()
	id := f.Put("/Apps", "locked", dbItems()...)
	f.Deny(id)
	f.Put("/Apps", "with-file", fakeItem{Name: "Key", Slug: "key", File: []byte("file-bytes")})

	err := c.PushSecret(ctx, []byte("v-secret-2"), provider.PushRef{RemoteKey: "41", Property: "password"})
	if err == nil || !strings.Contains(err.Error(), "Access Denied") || !strings.Contains(err.Error(), "Edit to push") || errors.Is(err, provider.ErrNotFound) ||
		strings.Contains(err.Error(), "v-secret-2") {
		t.Errorf("push to a denied secret: %v; want Access Denied with the permission hint, not not-found", err)
	}
	err = c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "41"})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("delete of a denied secret: %v; want an error", err)
	}
	err = c.PushSecret(ctx, []byte("v-secret-2"), provider.PushRef{RemoteKey: "with-file", Property: "key"})
	if err == nil || !strings.Contains(err.Error(), "file field") || strings.Contains(err.Error(), "v-secret-2") {
		t.Errorf("push to a file field: %v", err)
	}
	err = c.PushSecret(ctx, []byte{0xff, 0xfe, 's'}, provider.PushRef{RemoteKey: "with-file"})
	if err == nil || !strings.Contains(err.Error(), "not UTF-8") {
		t.Errorf("push of binary: %v", err)
	}
	if w := writes(f); w["update"] != 0 || w["create"] != 0 || w["delete"] != 0 {
		t.Errorf("refused pushes wrote: %v", w)
	}
	if got, _ := f.Field("with-file", "key"); got != "" {
		t.Errorf("file field value changed to %q", got)
	}
}
