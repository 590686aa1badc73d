package pulumi

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const foreignDefinition = `imports:
  - shared/base
values:
  # rotated by the platform team
  theirs:
    fn::secret: keep-me
  region: eu-west-1
  app:
    url: https://app.example
`

// TestPushSecret sets, updates and deletes values in the environment's definition, keeps
// what others wrote (imports, comments, their secrets), writes no new revision for a value
// already there, and leaves alone a value Ferry did not write.
func TestPushSecret(t *testing.T) {
	f := startESC(t)
	setDefinition(t, f, foreignDefinition)
	c := newClient(t, f.APIURL(), testToken)
	ctx := context.Background()
	read := func(key string) string {
		t.Helper()
		f.ExpireSessions() // read what the definition holds now, not an older snapshot
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
		if err != nil {
			t.Fatalf("GetSecret %s: %v", key, err)
		}
		return string(got)
	}

	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "app.token"}); err != nil {
		t.Fatal(err)
	}
	if read("app.token") != "v1" || read("theirs") != "keep-me" || read("app.url") != "https://app.example" {
		t.Error("after a push, the environment does not hold the pushed value beside the others")
	}
	def := f.DefinitionText()
	for _, want := range []string{"- shared/base", "# rotated by the platform team", "token: " + OwnershipComment, "fn::secret:"} {
		if !strings.Contains(def, want) {
			t.Errorf("the definition lacks %q:\n%s", want, def)
		}
	}
	if strings.Contains(def, "v1") {
		t.Errorf("the pushed value is in the definition in clear:\n%s", def)
	}
	if err := c.PushSecret(ctx, []byte("v1"), provider.PushRef{RemoteKey: "app.token"}); err != nil || f.Count("PATCH definition") != 1 {
		t.Errorf("pushing the same value again: %v; %d revisions written, want 1", err, f.Count("PATCH definition"))
	}
	f.ExpireSessions()
	if err := c.PushSecret(ctx, []byte("v2"), provider.PushRef{RemoteKey: "app.token"}); err != nil || read("app.token") != "v2" {
		t.Errorf("an update: %v, %q", err, read("app.token"))
	}
	plain := &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"secret":false}}`)}
	if err := c.PushSecret(ctx, []byte("debug"), provider.PushRef{RemoteKey: "app.settings", Property: "level", Metadata: plain}); err != nil {
		t.Fatal(err)
	}
	if read("app.settings.level") != "debug" || !strings.Contains(f.DefinitionText(), `level: "debug"`) {
		t.Errorf("a push with spec.secret false: %s", f.DefinitionText())
	}

	// What Ferry did not write is left alone, however it is reached.
	for _, op := range []func() error{
		func() error { return c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "theirs"}) },
		func() error { return c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "region"}) },
		func() error { return c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "theirs"}) },
		func() error { return c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "app.url"}) },
	} {
		if err := op(); !errors.Is(err, provider.ErrNotManaged) {
			t.Errorf("writing a value Ferry did not write = %v, want ErrNotManaged", err)
		}
	}
	if read("theirs") != "keep-me" || read("region") != "eu-west-1" || read("app.url") != "https://app.example" {
		t.Error("a value Ferry did not write was changed")
	}
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "theirs.inner"}); err == nil || errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("a push below a secret = %v, want an error saying it is no mapping", err)
	}
	for _, key := range []string{"app.hosts[0]", `["a.b"]`, "app..x"} {
		if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: key}); err == nil {
			t.Errorf("a push to %s was accepted", key)
		}
	}

	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "app.token"}); !ok || err != nil {
		t.Errorf("SecretExists app.token = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "app.token"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.SecretExists(ctx, provider.PushRef{RemoteKey: "app.token"}); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "app.token"}); err != nil {
		t.Errorf("deleting a missing value = %v, want nil", err)
	}
	if read("app.url") != "https://app.example" || !strings.Contains(f.DefinitionText(), "- shared/base") {
		t.Errorf("the delete took more than the value:\n%s", f.DefinitionText())
	}
}

// TestPushIntoFlowMappings: a definition written in flow style ({a: 1}) cannot hold a
// comment, so the mappings a push goes through are written in block style, and every
// value stays.
func TestPushIntoFlowMappings(t *testing.T) {
	f := startESC(t)
	setDefinition(t, f, "values: {region: eu-west-1, app: {url: 'https://app.example'}}\n")
	c := newClient(t, f.APIURL(), testToken)
	if err := c.PushSecret(context.Background(), []byte("v1"), provider.PushRef{RemoteKey: "app.token"}); err != nil {
		t.Fatal(err)
	}
	got := f.Resolved()
	if v, _ := lookupPath(got, "app.token"); v != "v1" {
		t.Errorf("app.token = %v, want v1:\n%s", v, f.DefinitionText())
	}
	if v, _ := lookupPath(got, "app.url"); v != "https://app.example" {
		t.Errorf("app.url = %v:\n%s", v, f.DefinitionText())
	}
	if v, _ := lookupPath(got, "region"); v != "eu-west-1" {
		t.Errorf("region = %v:\n%s", v, f.DefinitionText())
	}
}
