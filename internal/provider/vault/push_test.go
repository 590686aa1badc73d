package vault

import (
	"errors"
	"maps"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// kv2Metadata reads a KV v2 secret's metadata from Vault's API, as a user would check it.
func kv2Metadata(t *testing.T, mount, key string) (custom map[string]string, currentVersion int) {
	t.Helper()
	var out struct {
		Data struct {
			CustomMetadata map[string]string `json:"custom_metadata"`
			CurrentVersion int               `json:"current_version"`
		} `json:"data"`
	}
	server.MustDo(t, "GET", mount+"/metadata/"+key, nil, &out)
	return out.Data.CustomMetadata, out.Data.CurrentVersion
}

// kv2Data reads the newest version of a KV v2 secret's data from Vault's API.
func kv2Data(t *testing.T, mount, key string) map[string]string {
	t.Helper()
	var out struct {
		Data struct {
			Data map[string]string `json:"data"`
		} `json:"data"`
	}
	server.MustDo(t, "GET", mount+"/data/"+key, nil, &out)
	return out.Data.Data
}

func metadata(raw string) *apiextensionsv1.JSON {
	return &apiextensionsv1.JSON{Raw: []byte(raw)}
}

func pushMeta(spec string) *apiextensionsv1.JSON {
	return metadata(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":` + spec + `}`)
}

// TestPushCustomMetadata pushes with metadata.spec.customMetadata to KV v2 and reads the
// secret's custom_metadata back from Vault: the marker is always there, Merge keeps keys
// others set, Replace drops them, and metadata alone changing writes no new data version.
func TestPushCustomMetadata(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	w := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: rootTokenAuth(t, ns)}), ns).(provider.Writer)
	key := ns + "/pushed"

	ref := provider.PushRef{RemoteKey: key, Property: "password",
		Metadata: pushMeta(`{"customMetadata":{"team":"payments","managed-by":"someone-else"}}`)}
	if err := w.PushSecret(ctx, []byte("s3cret"), ref); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	custom, version := kv2Metadata(t, "secret", key)
	if want := map[string]string{"managed-by": "external-secrets", "team": "payments"}; !maps.Equal(custom, want) {
		t.Errorf("custom_metadata after creation = %v, want %v (managed-by is Ferry's)", custom, want)
	}
	if version != 1 {
		t.Errorf("current_version = %d, want 1", version)
	}

	// Someone adds a key; a Merge push with a changed value keeps it, without a new version.
	custom["owner"] = "ops"
	server.MustDo(t, "POST", "secret/metadata/"+key, map[string]any{"custom_metadata": custom}, nil)
	ref.Metadata = pushMeta(`{"customMetadata":{"team":"billing"}}`)
	if err := w.PushSecret(ctx, []byte("s3cret"), ref); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	custom, version = kv2Metadata(t, "secret", key)
	if want := map[string]string{"managed-by": "external-secrets", "team": "billing", "owner": "ops"}; !maps.Equal(custom, want) {
		t.Errorf("custom_metadata after a Merge = %v, want %v", custom, want)
	}
	if version != 1 {
		t.Errorf("current_version = %d after a metadata-only change, want 1 (no data write)", version)
	}

	ref.Metadata = pushMeta(`{"mergePolicy":"Replace","customMetadata":{"tier":"gold"}}`)
	if err := w.PushSecret(ctx, []byte("n3w"), ref); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	custom, version = kv2Metadata(t, "secret", key)
	if want := map[string]string{"managed-by": "external-secrets", "tier": "gold"}; !maps.Equal(custom, want) {
		t.Errorf("custom_metadata after a Replace = %v, want %v", custom, want)
	}
	if version != 2 {
		t.Errorf("current_version = %d after a new value, want 2", version)
	}

	writes := func() int {
		return server.Calls("POST /v1/secret/metadata/"+key) + server.Calls("PUT /v1/secret/data/"+key)
	}
	before := writes()
	if err := w.PushSecret(ctx, []byte("n3w"), ref); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	if n := writes() - before; n != 0 {
		t.Errorf("%d writes when pushing the same value and metadata again, want 0", n)
	}
}

// TestPushMetadataRefused checks the metadata the Vault provider cannot act on: each is
// ErrInvalidMetadata naming the key, and nothing is written.
func TestPushMetadataRefused(t *testing.T) {
	t.Parallel()
	once(t, "mount kv1", func() {
		server.MustDo(t, "POST", "sys/mounts/kv1", map[string]any{"type": "kv", "options": map[string]string{"version": "1"}}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	auth := rootTokenAuth(t, ns)
	v2 := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: auth}), ns).(provider.Writer)
	v1 := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("kv1"), Version: esv1.VaultKVStoreV1, Auth: auth}), ns).(provider.Writer)
	tests := []struct {
		name string
		w    provider.Writer
		meta *apiextensionsv1.JSON
		want string
	}{
		{"customMetadata on KV v1", v1, pushMeta(`{"customMetadata":{"team":"a"}}`), "metadata.spec.customMetadata: a KV v1 engine"},
		{"mergePolicy on KV v1", v1, pushMeta(`{"mergePolicy":"Merge"}`), "metadata.spec.mergePolicy: a KV v1 engine"},
		{"unknown merge policy", v2, pushMeta(`{"mergePolicy":"Union"}`), `metadata.spec.mergePolicy: "Union"`},
		{"unknown key", v2, pushMeta(`{"tags":{"a":"b"}}`), "metadata.spec.tags"},
		{"value not a string", v2, pushMeta(`{"customMetadata":{"n":1}}`), "metadata.spec.customMetadata"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := ns + "/refused-" + string(rune('a'+i))
			err := tt.w.PushSecret(ctx, []byte("v"), provider.PushRef{RemoteKey: key, Property: "p", Metadata: tt.meta})
			if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PushSecret = %v, want ErrInvalidMetadata naming %q", err, tt.want)
			}
			if exists, err := tt.w.SecretExists(ctx, provider.PushRef{RemoteKey: key}); err != nil || exists {
				t.Errorf("SecretExists = %v, %v; want nothing written", exists, err)
			}
		})
	}
}

// TestOpenBaoPush creates, updates and deletes through an OpenBao store, with custom
// metadata, and leaves a secret it did not create alone.
func TestOpenBaoPush(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	w := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Path: "secret", Auth: openBaoRootToken(t, ns)}), ns).(provider.Writer)
	key := ns + "/pushed"

	ref := provider.PushRef{RemoteKey: key, Property: "user", Metadata: pushMeta(`{"customMetadata":{"team":"a"}}`)}
	if err := w.PushSecret(ctx, []byte("admin"), ref); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	if err := w.PushSecret(ctx, []byte("pw"), provider.PushRef{RemoteKey: key, Property: "password"}); err != nil {
		t.Fatalf("PushSecret: %v", err)
	}
	if data, want := kv2Data(t, "secret", key), map[string]string{"user": "admin", "password": "pw"}; !maps.Equal(data, want) {
		t.Errorf("data = %v, want %v", data, want)
	}
	if custom, _ := kv2Metadata(t, "secret", key); !maps.Equal(custom, map[string]string{"managed-by": "external-secrets", "team": "a"}) {
		t.Errorf("custom_metadata = %v, want the marker and team=a", custom)
	}

	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: key, Property: "user"}); err != nil {
		t.Fatalf("DeleteSecret property: %v", err)
	}
	if exists, err := w.SecretExists(ctx, provider.PushRef{RemoteKey: key, Property: "user"}); err != nil || exists {
		t.Errorf("deleted property exists = %v, %v", exists, err)
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: key}); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	if exists, err := w.SecretExists(ctx, provider.PushRef{RemoteKey: key}); err != nil || exists {
		t.Errorf("deleted secret exists = %v, %v", exists, err)
	}

	writeKV2(t, ns+"/foreign", map[string]any{"user": "theirs"})
	err := w.PushSecret(ctx, []byte("mine"), provider.PushRef{RemoteKey: ns + "/foreign", Property: "user"})
	if !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("pushing over a secret Ferry did not create = %v, want ErrNotManaged", err)
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: ns + "/foreign"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("deleting a secret Ferry did not create = %v, want ErrNotManaged", err)
	}
}

// TestPushCheckAndSet pushes to a KV v2 mount that requires check-and-set: a store without
// checkAndSet.required is refused by Vault, one with it creates and updates the secret,
// and a write naming a version that is no longer the newest is refused.
func TestPushCheckAndSet(t *testing.T) {
	t.Parallel()
	once(t, "mount kv-cas", func() {
		server.MustDo(t, "POST", "sys/mounts/kv-cas", map[string]any{"type": "kv", "options": map[string]string{"version": "2"}}, nil)
		server.MustDo(t, "POST", "kv-cas/config", map[string]any{"cas_required": true}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	auth := rootTokenAuth(t, ns)
	key := ns + "/pushed"
	ref := provider.PushRef{RemoteKey: key, Property: "password"}

	plain := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("kv-cas"), Auth: auth}), ns).(provider.Writer)
	err := plain.PushSecret(ctx, []byte("v1"), ref)
	if err == nil || !strings.Contains(err.Error(), "check-and-set") {
		t.Fatalf("PushSecret without checkAndSet to a cas_required mount = %v, want Vault's check-and-set refusal", err)
	}

	cas := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("kv-cas"), Auth: auth,
		CheckAndSet: &esv1.VaultCheckAndSet{Required: true}}), ns).(provider.Writer)
	for i, value := range []string{"v1", "v2"} {
		if err := cas.PushSecret(ctx, []byte(value), ref); err != nil {
			t.Fatalf("PushSecret %s with checkAndSet.required: %v", value, err)
		}
		if _, version := kv2Metadata(t, "kv-cas", key); version != i+1 {
			t.Errorf("current_version after pushing %s = %d, want %d", value, version, i+1)
		}
	}

	// A write that read version 1 before someone else wrote version 2 is refused.
	kv := cas.(*kvClient)
	if err := kv.write(ctx, key, map[string]any{"password": "stale"}, 1); err == nil || !strings.Contains(err.Error(), "check-and-set") {
		t.Errorf("write naming version 1 of 2 = %v, want Vault's check-and-set refusal", err)
	}
	if got := kv2Data(t, "kv-cas", key)["password"]; got != "v2" {
		t.Errorf("password after the refused write = %q, want v2", got)
	}
}

// TestPushLeavesDeletedForeignSecretAlone pushes to a KV v2 secret someone else wrote whose
// newest version was then deleted: it is not Ferry's, so the push is refused and its
// versions are left as they are.
func TestPushLeavesDeletedForeignSecretAlone(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	w := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: rootTokenAuth(t, ns)}), ns).(provider.Writer)
	key := ns + "/theirs"
	writeKV2(t, key, map[string]any{"password": "theirs"})
	server.MustDo(t, "DELETE", "secret/data/"+key, nil, nil)

	err := w.PushSecret(ctx, []byte("ours"), provider.PushRef{RemoteKey: key, Property: "password"})
	if !errors.Is(err, provider.ErrNotManaged) {
		t.Fatalf("PushSecret over a deleted secret Ferry did not create = %v, want ErrNotManaged", err)
	}
	if custom, version := kv2Metadata(t, "secret", key); version != 1 || custom["managed-by"] != "" {
		t.Errorf("after the refused push: current_version %d, custom_metadata %v; want 1 and no marker", version, custom)
	}
}
