package vault

import (
	"errors"
	"maps"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

func asStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestKVv2Reads(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	withMount := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: rootTokenAuth(t, ns)}), ns)
	withoutMount := newClient(t, secretStore(ns, esv1.VaultProvider{Auth: &esv1.VaultAuth{
		TokenSecretRef: &esv1.SecretKeySelector{Name: "vault-token", Key: "token"}}}), ns)
	ctx := testContext(t)

	nested := map[string]any{"user": "admin", "db": map[string]any{"host": "db.local", "ports": []int{5432, 5433}}, "dotted.key": "dv"}
	writeKV2(t, ns+"/app", nested)
	writeKV2(t, ns+"/versioned", map[string]any{"v": "one"})
	writeKV2(t, ns+"/versioned", map[string]any{"v": "two"})
	writeKV2(t, ns+"/versioned", map[string]any{"v": "three"})
	server.MustDo(t, "POST", "secret/metadata/"+ns+"/app", map[string]any{
		"custom_metadata": map[string]string{"team": "payments", "cost.center": "42"}}, nil)

	tests := []struct {
		name string
		c    provider.Client
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{"whole value", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app"},
			`{"db":{"host":"db.local","ports":[5432,5433]},"dotted.key":"dv","user":"admin"}`},
		{"property", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "user"}, "admin"},
		{"nested property", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "db.host"}, "db.local"},
		{"array element", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "db.ports.1"}, "5433"},
		{"object property", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "db"}, `{"host":"db.local","ports":[5432,5433]}`},
		{"key with a dot", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "dotted.key"}, "dv"},
		{"key repeating the mount", withMount, esv1.ExternalSecretDataRemoteRef{Key: "secret/" + ns + "/app", Property: "user"}, "admin"},
		{"mount in the key", withoutMount, esv1.ExternalSecretDataRemoteRef{Key: "secret/" + ns + "/app", Property: "user"}, "admin"},
		{"data path in the key", withoutMount, esv1.ExternalSecretDataRemoteRef{Key: "secret/data/" + ns + "/app", Property: "user"}, "admin"},
		{"latest version", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Property: "v"}, "three"},
		{"version 1", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Property: "v", Version: "1"}, "one"},
		{"version 2", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Property: "v", Version: "2"}, "two"},
		{"custom metadata", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", MetadataPolicy: esv1.MetadataPolicyFetch},
			`{"cost.center":"42","team":"payments"}`},
		{"one custom metadata key", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "team"}, "payments"},
		{"custom metadata key with a dot", withMount, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "cost.center"}, "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.GetSecret(ctx, tt.ref)
			if err != nil {
				t.Fatalf("GetSecret: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("GetSecret = %s, want %s", got, tt.want)
			}
		})
	}

	t.Run("extract a property", func(t *testing.T) {
		got, err := withMount.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "db"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"host": "db.local", "ports": "[5432,5433]"}; !maps.Equal(asStrings(got), want) {
			t.Errorf("GetSecretMap = %v, want %v", asStrings(got), want)
		}
	})
	t.Run("extract custom metadata", func(t *testing.T) {
		got, err := withMount.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", MetadataPolicy: esv1.MetadataPolicyFetch})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"team": "payments", "cost.center": "42"}; !maps.Equal(asStrings(got), want) {
			t.Errorf("GetSecretMap = %v, want %v", asStrings(got), want)
		}
	})
	t.Run("a missing version is not found", func(t *testing.T) {
		_, err := withMount.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "9"})
		if !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret = %v, want ErrNotFound", err)
		}
	})
	t.Run("a version that is no number", func(t *testing.T) {
		_, err := withMount.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/versioned", Version: "latest"})
		if err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret = %v, want an error other than ErrNotFound", err)
		}
	})
}

// TestKVv2DeletedVersions checks that soft-deleted and destroyed versions read as "not
// found", which drives deletionPolicy, while other versions stay readable.
func TestKVv2DeletedVersions(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: rootTokenAuth(t, ns)}), ns)
	ctx := testContext(t)
	key := ns + "/rotating"
	writeKV2(t, key, map[string]any{"v": "one"})
	writeKV2(t, key, map[string]any{"v": "two"})
	writeKV2(t, key, map[string]any{"v": "three"})
	server.MustDo(t, "POST", "secret/delete/"+key, map[string]any{"versions": []int{3}}, nil)
	server.MustDo(t, "POST", "secret/destroy/"+key, map[string]any{"versions": []int{1}}, nil)

	for _, ref := range []esv1.ExternalSecretDataRemoteRef{
		{Key: key}, {Key: key, Property: "v"}, {Key: key, Version: "3"}, {Key: key, Version: "1"},
	} {
		if _, err := c.GetSecret(ctx, ref); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret(%+v) = %v, want ErrNotFound", ref, err)
		}
		if _, err := c.GetSecretMap(ctx, ref); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecretMap(%+v) = %v, want ErrNotFound", ref, err)
		}
	}
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key, Version: "2", Property: "v"})
	if err != nil || string(got) != "two" {
		t.Errorf("version 2 = %q, %v; want two", got, err)
	}
}

func TestKVv2FindByPath(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	auth := rootTokenAuth(t, ns)
	withMount := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: auth}), ns)
	withoutMount := newClient(t, secretStore(ns, esv1.VaultProvider{Auth: auth}), ns)
	ctx := testContext(t)
	writeKV2(t, ns+"/app/db", map[string]any{"user": "a"})
	writeKV2(t, ns+"/app/deep/cache", map[string]any{"user": "b"})
	writeKV2(t, ns+"/app/gone", map[string]any{"user": "c"})
	server.MustDo(t, "DELETE", "secret/data/"+ns+"/app/gone", nil, nil)
	writeKV2(t, ns+"/other/db", map[string]any{"user": "d"})

	got, err := withMount.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr(ns + "/app")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ns + "/app/db": `{"user":"a"}`, ns + "/app/deep/cache": `{"user":"b"}`}
	if !maps.Equal(asStrings(got), want) {
		t.Errorf("find by path = %v, want %v (soft-deleted secrets left out)", asStrings(got), want)
	}

	got, err = withoutMount.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr("secret/" + ns), Name: &esv1.FindName{RegExp: "/db$"}})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"secret/" + ns + "/app/db": `{"user":"a"}`, "secret/" + ns + "/other/db": `{"user":"d"}`}
	if !maps.Equal(asStrings(got), want) {
		t.Errorf("find by path and name without a store mount = %v, want %v", asStrings(got), want)
	}

	if _, err := withoutMount.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "x"}}); err == nil ||
		!strings.Contains(err.Error(), "find.path") {
		t.Errorf("find without any mount = %v, want an error about find.path", err)
	}
}

func TestKVv1(t *testing.T) {
	t.Parallel()
	once(t, "mount kv1", func() {
		server.MustDo(t, "POST", "sys/mounts/kv1", map[string]any{"type": "kv", "options": map[string]string{"version": "1"}}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("kv1"), Version: esv1.VaultKVStoreV1, Auth: rootTokenAuth(t, ns)}), ns)
	ctx := testContext(t)
	server.MustDo(t, "POST", "kv1/"+ns+"/app", map[string]any{"user": "admin", "db": map[string]any{"host": "h"}}, nil)

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "db.host"})
	if err != nil || string(got) != "h" {
		t.Errorf("GetSecret = %q, %v; want h", got, err)
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "kv1/" + ns + "/app"})
	if want := map[string]string{"user": "admin", "db": `{"host":"h"}`}; err != nil || !maps.Equal(asStrings(m), want) {
		t.Errorf("GetSecretMap = %v, %v; want %v", asStrings(m), err, want)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/missing"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing secret = %v, want ErrNotFound", err)
	}
	for name, ref := range map[string]esv1.ExternalSecretDataRemoteRef{
		"version":  {Key: ns + "/app", Version: "1"},
		"metadata": {Key: ns + "/app", MetadataPolicy: esv1.MetadataPolicyFetch},
	} {
		if _, err := c.GetSecret(ctx, ref); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("%s on KV v1 = %v, want a clear error", name, err)
		}
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr(ns)}); err == nil || !strings.Contains(err.Error(), "KV v1") {
		t.Errorf("find on KV v1 = %v, want an error naming KV v1", err)
	}
}

// TestRequestHeaders checks, at the server, the headers a store adds to every request.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	auth := rootTokenAuth(t, ns)
	writeKV2(t, ns+"/h", map[string]any{"a": "b"})
	ref := esv1.ExternalSecretDataRemoteRef{Key: ns + "/h"}
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: auth,
		Headers: map[string]string{"X-Ferry-Test": ns}}), ns)
	if _, err := c.GetSecret(testContext(t), ref); err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, r := range server.Requests() {
		if r.URL.Path == "/v1/secret/data/"+ns+"/h" {
			seen = true
			if r.Header.Get("X-Ferry-Test") != ns {
				t.Errorf("request headers = %v, want X-Ferry-Test", r.Header)
			}
		}
	}
	if !seen {
		t.Fatal("the read did not reach the server")
	}

	// The open-source dev server has no standbys and refuses forwarding requests: its
	// answer proves the header reached it.
	forwarding := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: auth, ForwardInconsistent: true}), ns)
	if _, err := forwarding.GetSecret(testContext(t), ref); err == nil || !strings.Contains(err.Error(), "X-Vault-Inconsistent") {
		t.Errorf("GetSecret with forwardInconsistent = %v, want the dev server's refusal of X-Vault-Inconsistent", err)
	}
}
