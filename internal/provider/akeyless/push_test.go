package akeyless

import (
	"context"
	"errors"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// TestPush: a push creates a static secret tagged k8s-external-secrets (ESO's tag), writes a
// version only when the value changes, sets properties of a JSON object keeping the others;
// an item without the tag is neither overwritten nor deleted; deletion removes a property,
// the item with its last property, and is quiet about a missing item.
func TestPush(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/theirs", `{"user":"keep"}`)
	c := newClient(t, f, f.AccessKey)
	ctx := context.Background()
	push := func(value string, ref provider.PushRef) {
		t.Helper()
		if err := c.PushSecret(ctx, []byte(value), ref); err != nil {
			t.Fatalf("PushSecret %s/%s: %v", ref.RemoteKey, ref.Property, err)
		}
	}
	token := provider.PushRef{RemoteKey: "/ferry/token"}
	push("t1", token)
	push("t1", token)
	push("t2", token)
	if got := f.Versions("/ferry/token"); !slices.Equal(got, []string{"t1", "t2"}) {
		t.Errorf("versions = %q, want t1 then t2 (none for the same value)", got)
	}
	tags := f.Tags("/ferry/token")
	if !slices.Equal(tags, []string{OwnershipTag}) {
		t.Errorf("tags = %q, want [%s]", tags, OwnershipTag)
	}

	push("admin", provider.PushRef{RemoteKey: "/ferry/db", Property: "user"})
	push("pw", provider.PushRef{RemoteKey: "/ferry/db", Property: "password"})
	if got := get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/ferry/db"}); got != `{"password":"pw","user":"admin"}` {
		t.Errorf("/ferry/db = %s, want both properties", got)
	}
	for _, tt := range []struct {
		ref  provider.PushRef
		want bool
	}{
		{provider.PushRef{RemoteKey: "/ferry/db", Property: "password"}, true},
		{provider.PushRef{RemoteKey: "/ferry/db", Property: "nope"}, false},
		{provider.PushRef{RemoteKey: "/ferry/token"}, true},
		{provider.PushRef{RemoteKey: "/missing"}, false},
	} {
		if got, err := c.SecretExists(ctx, tt.ref); err != nil || got != tt.want {
			t.Errorf("SecretExists %s/%s = %v, %v; want %v", tt.ref.RemoteKey, tt.ref.Property, got, err, tt.want)
		}
	}

	theirs := provider.PushRef{RemoteKey: "/theirs", Property: "user"}
	if err := c.PushSecret(ctx, []byte("mine"), theirs); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("PushSecret onto an item without the tag = %v, want ErrNotManaged", err)
	}
	if err := c.DeleteSecret(ctx, theirs); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("DeleteSecret of an item without the tag = %v, want ErrNotManaged", err)
	}
	if got := f.Versions("/theirs"); !slices.Equal(got, []string{`{"user":"keep"}`}) {
		t.Errorf("an item Ferry did not create was changed: %q", got)
	}
	meta := provider.PushRef{RemoteKey: "/ferry/x", Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"tags":["a"]}}`)}}
	if err := c.PushSecret(ctx, []byte("v"), meta); err == nil {
		t.Error("PushSecret with metadata succeeded; Akeyless reads none")
	}

	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "/ferry/db", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Versions("/ferry/db"); len(got) == 0 || got[len(got)-1] != `{"password":"pw"}` {
		t.Errorf("after deleting property user, /ferry/db = %q", got)
	}
	for _, ref := range []provider.PushRef{{RemoteKey: "/ferry/db", Property: "password"}, token, token} {
		if err := c.DeleteSecret(ctx, ref); err != nil {
			t.Errorf("DeleteSecret %s/%s: %v", ref.RemoteKey, ref.Property, err)
		}
	}
	if f.Versions("/ferry/db") != nil || f.Versions("/ferry/token") != nil {
		t.Error("the items whose last property and whole value were deleted are still there")
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "/ferry/token"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("reading a deleted item = %v, want ErrNotFound", err)
	}
}
