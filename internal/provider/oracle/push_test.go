package oracle

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/ferryhq/ferry/internal/provider"
)

func writer(t *testing.T, c provider.Client) provider.Writer {
	t.Helper()
	w, ok := c.(provider.Writer)
	if !ok {
		t.Fatal("the client cannot push")
	}
	return w
}

// TestPush: a push creates the secret in the compartment with the store's key, tagged
// managed-by=external-secrets; the same value again is no new version; another value is
// one; a property is a key of the secret's JSON object, keeping the others.
func TestPush(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	w, ctx := writer(t, c), context.Background()
	for _, v := range []string{"one", "one", "two"} {
		if err := w.PushSecret(ctx, []byte(v), provider.PushRef{RemoteKey: "app-db"}); err != nil {
			t.Fatalf("PushSecret %q: %v", v, err)
		}
	}
	if got, err := get(c, "app-db", "", ""); err != nil || string(got) != "two" {
		t.Errorf("read after pushes = %q, %v", got, err)
	}
	if got, err := get(c, "app-db", "1", ""); err != nil || string(got) != "one" {
		t.Errorf("version 1 = %q, %v", got, err)
	}
	if f.Count("create") != 1 || f.Count("update") != 1 || secretOf(f, "app-db").Tags["managed-by"] != "external-secrets" {
		t.Errorf("%d creates, %d updates, tags %v; want 1, 1 and managed-by=external-secrets",
			f.Count("create"), f.Count("update"), secretOf(f, "app-db").Tags)
	}
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}} {
		if err := w.PushSecret(ctx, []byte(kv[1]), provider.PushRef{RemoteKey: "cfg", Property: kv[0]}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := get(c, "cfg", "", ""); err != nil || string(got) != `{"a":"1","b":"2"}` {
		t.Errorf("cfg = %s, %v", got, err)
	}
	for _, tt := range []struct {
		ref  provider.PushRef
		want bool
	}{
		{provider.PushRef{RemoteKey: "app-db"}, true},
		{provider.PushRef{RemoteKey: "missing"}, false},
		{provider.PushRef{RemoteKey: "cfg", Property: "a"}, true},
		{provider.PushRef{RemoteKey: "cfg", Property: "zz"}, false},
	} {
		if got, err := w.SecretExists(ctx, tt.ref); err != nil || got != tt.want {
			t.Errorf("SecretExists(%+v) = %v, %v; want %v", tt.ref, got, err, tt.want)
		}
	}
	if err := w.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "app-db", Property: "k"}); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("property into a plain value = %v, want a refusal", err)
	}
}

// TestPushLeavesOthersAlone: a secret without Ferry's or ESO's tag is neither overwritten
// nor deleted.
func TestPushLeavesOthersAlone(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	w, ctx := writer(t, c), context.Background()
	f.Put("theirs", []byte("keep"), map[string]string{"team": "db"})
	if err := w.PushSecret(ctx, []byte("mine"), provider.PushRef{RemoteKey: "theirs"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("PushSecret over another's secret = %v, want ErrNotManaged", err)
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "theirs"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("DeleteSecret of another's secret = %v, want ErrNotManaged", err)
	}
	if f.Count("update")+f.Count("delete")+f.Count("create") != 0 || secretOf(f, "theirs").PendingDeletion {
		t.Errorf("another's secret was written: %d updates, %d deletions, %d creates", f.Count("update"), f.Count("delete"), f.Count("create"))
	}
}

// TestDeletePushed: deleting a property keeps the other keys; deleting the last one, or the
// whole secret, schedules its deletion once; a secret that is gone is no error.
func TestDeletePushed(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	w, ctx := writer(t, c), context.Background()
	for _, k := range []string{"a", "b"} {
		if err := w.PushSecret(ctx, []byte(k), provider.PushRef{RemoteKey: "cfg", Property: k}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "cfg", Property: "a"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(c, "cfg", "", ""); string(got) != `{"b":"b"}` || f.Count("delete") != 0 {
		t.Errorf("after removing a: %s, %d deletions", got, f.Count("delete"))
	}
	for range 2 {
		if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "cfg", Property: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "never-pushed"}); err != nil {
		t.Errorf("DeleteSecret of a missing secret = %v", err)
	}
	if !secretOf(f, "cfg").PendingDeletion || f.Count("delete") != 1 {
		t.Errorf("cfg pending deletion %v after %d deletions, want once", secretOf(f, "cfg").PendingDeletion, f.Count("delete"))
	}
}

// TestPushNeedsKeyAndCompartment: a push says which field is missing before any call, and
// metadata, which OCI pushes do not read, is refused.
func TestPushNeedsKeyAndCompartment(t *testing.T) {
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	store, kube := userStore(pkcs1PEM(apiKey(t, 0)))
	store.GetSpec().Provider.Oracle.EncryptionKey = ""
	c, err := newProvider(f).NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	err = writer(t, c).PushSecret(context.Background(), []byte("v"), provider.PushRef{RemoteKey: "x"})
	if err == nil || !strings.Contains(err.Error(), "spec.provider.oracle.encryptionKey: required to push") || f.Count("list") != 0 {
		t.Errorf("push without encryptionKey = %v after %d calls", err, f.Count("list"))
	}
	_, _, c = setup(t, pkcs1PEM(apiKey(t, 0)))
	meta := &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"tags":{"a":"b"}}}`)}
	if err := writer(t, c).PushSecret(context.Background(), []byte("v"), provider.PushRef{RemoteKey: "x", Metadata: meta}); !errors.Is(err, provider.ErrInvalidMetadata) {
		t.Errorf("push with metadata = %v, want ErrInvalidMetadata", err)
	}
}
