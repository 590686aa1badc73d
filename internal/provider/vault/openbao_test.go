package vault

import (
	"errors"
	"maps"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

// The OpenBao provider's tests reach the Vault dev server: OpenBao cannot be built here,
// and the KV, token, AppRole and userpass HTTP APIs it serves are Vault's.

func openBaoStore(ns string, spec esv1.OpenBaoProvider) *esv1.SecretStore {
	if spec.Server == "" {
		spec.Server = server.Address
	}
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "openbao"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{OpenBao: &spec}},
	}
}

func newOpenBaoClient(t *testing.T, store esv1.GenericStore, ns string) provider.Client {
	t.Helper()
	c, err := NewOpenBao().NewClient(testContext(t), store, controlPlane.Client, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(testContext(t)) })
	return c
}

func openBaoRootToken(t *testing.T, ns string) *esv1.OpenBaoAuth {
	t.Helper()
	kubeSecret(t, ns, "bao-token", map[string]string{"token": testenv.VaultRootToken})
	return &esv1.OpenBaoAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "bao-token", Key: "token"}}
}

func TestOpenBaoConformance(t *testing.T) {
	runKV2Conformance(t, NewOpenBao(), "openbao-conformance", func(ns, roleID string) esv1.GenericStore {
		return openBaoStore(ns, esv1.OpenBaoProvider{
			Path: "secret", Version: "v2",
			Auth: &esv1.OpenBaoAuth{AppRole: &esv1.OpenBaoAppRole{
				Path: "approle", RoleID: roleID,
				SecretRef: esv1.SecretKeySelector{Name: "approle", Key: "secret-id"},
			}},
		})
	})
}

// TestOpenBaoAuth reads one secret with each auth method an OpenBao store offers, and
// checks that wrong credentials fail Validate with the server's reason.
func TestOpenBaoAuth(t *testing.T) {
	t.Parallel()
	enableAuth(t, "userpass", "userpass")
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	roleID, secretID := appRole(t, "bao-"+ns, nil)
	server.MustDo(t, "POST", "auth/userpass/users/bao-"+ns, map[string]any{"password": "pw-" + ns, "token_policies": "reader"}, nil)
	kubeSecret(t, ns, "creds", map[string]string{"role-id": roleID, "secret-id": secretID, "password": "pw-" + ns, "wrong": "not-it"})
	ref := func(key string) esv1.SecretKeySelector { return esv1.SecretKeySelector{Name: "creds", Key: key} }
	roleRef := ref("role-id")

	good := map[string]struct {
		auth   *esv1.OpenBaoAuth
		logins string
	}{
		"tokenSecretRef": {auth: openBaoRootToken(t, ns)},
		"appRole with roleId": {auth: &esv1.OpenBaoAuth{AppRole: &esv1.OpenBaoAppRole{Path: "approle", RoleID: roleID, SecretRef: ref("secret-id")}},
			logins: "POST /v1/auth/approle/login"},
		// No path: ESO's default mount, approle.
		"appRole with roleRef": {auth: &esv1.OpenBaoAuth{AppRole: &esv1.OpenBaoAppRole{RoleRef: &roleRef, SecretRef: ref("secret-id")}},
			logins: "POST /v1/auth/approle/login"},
		"userPass": {auth: &esv1.OpenBaoAuth{UserPass: &esv1.VaultUserPassAuth{Path: "userpass", Username: "bao-" + ns, SecretRef: ref("password")}},
			logins: "POST /v1/auth/userpass/login/bao-" + ns},
	}
	for name, tt := range good {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			before := server.Calls(tt.logins)
			c := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Path: "secret", Auth: tt.auth}), ns)
			if result, err := c.Validate(ctx); err != nil || result != esv1.ValidationResultReady {
				t.Fatalf("Validate = %v, %v; want Ready", result, err)
			}
			got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "user"})
			if err != nil || string(got) != "admin" {
				t.Fatalf("GetSecret = %q, %v; want admin", got, err)
			}
			if tt.logins != "" && server.Calls(tt.logins) == before {
				t.Errorf("no login at %s reached the server", tt.logins)
			}
		})
	}

	bad := map[string]*esv1.OpenBaoAuth{
		"wrong token":     {TokenSecretRef: &esv1.SecretKeySelector{Name: "creds", Key: "wrong"}},
		"wrong secret id": {AppRole: &esv1.OpenBaoAppRole{Path: "approle", RoleID: roleID, SecretRef: ref("wrong")}},
		"wrong password":  {UserPass: &esv1.VaultUserPassAuth{Path: "userpass", Username: "bao-" + ns, SecretRef: ref("wrong")}},
	}
	for name, auth := range bad {
		t.Run(name, func(t *testing.T) {
			c := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Path: "secret", Auth: auth}), ns)
			result, err := c.Validate(testContext(t))
			if result != esv1.ValidationResultError || err == nil {
				t.Fatalf("Validate = %v, %v; want an error", result, err)
			}
			// What a user acts on: the server refused the credentials, and which server.
			if msg := err.Error(); !strings.Contains(msg, "openbao") ||
				!strings.Contains(msg, "permission denied") && !strings.Contains(msg, "invalid") {
				t.Errorf("Validate error = %q, want OpenBao's refusal", msg)
			}
			if _, err := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: ns + "/app"}); err == nil || errors.Is(err, provider.ErrNotFound) {
				t.Errorf("GetSecret = %v, want an auth error, not ErrNotFound", err)
			}
		})
	}
}

// TestOpenBaoDefaultsAndKVv1 checks ESO's OpenBao defaults (mount "kv", KV v2) and that
// dataFrom.find lists a KV v1 engine, as ESO's OpenBao provider does.
func TestOpenBaoDefaultsAndKVv1(t *testing.T) {
	t.Parallel()
	once(t, "mount kv", func() {
		server.MustDo(t, "POST", "sys/mounts/kv", map[string]any{"type": "kv", "options": map[string]string{"version": "2"}}, nil)
	})
	once(t, "mount kv1", func() {
		server.MustDo(t, "POST", "sys/mounts/kv1", map[string]any{"type": "kv", "options": map[string]string{"version": "1"}}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	auth := openBaoRootToken(t, ns)
	ctx := testContext(t)
	server.MustDo(t, "POST", "kv/data/"+ns+"/app", map[string]any{"data": map[string]any{"user": "from-kv"}}, nil)

	c := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Auth: auth}), ns)
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/app", Property: "user"})
	if err != nil || string(got) != "from-kv" {
		t.Errorf("GetSecret without a path = %q, %v; want from-kv, read from the kv mount", got, err)
	}

	server.MustDo(t, "POST", "kv1/"+ns+"/app/db", map[string]any{"user": "a"}, nil)
	server.MustDo(t, "POST", "kv1/"+ns+"/app/deep/cache", map[string]any{"user": "b"}, nil)
	server.MustDo(t, "POST", "kv1/"+ns+"/other", map[string]any{"user": "c"}, nil)
	v1 := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Path: "kv1", Version: "v1", Auth: auth}), ns)
	all, err := v1.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr(ns + "/app")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ns + "/app/db": `{"user":"a"}`, ns + "/app/deep/cache": `{"user":"b"}`}
	if !maps.Equal(asStrings(all), want) {
		t.Errorf("find on KV v1 = %v, want %v", asStrings(all), want)
	}
	all, err = v1.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr(ns), Name: &esv1.FindName{RegExp: "other$"}})
	if want := map[string]string{ns + "/other": `{"user":"c"}`}; err != nil || !maps.Equal(asStrings(all), want) {
		t.Errorf("find by name on KV v1 = %v, %v; want %v", asStrings(all), err, want)
	}
	if _, err := v1.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: ptr(ns), Tags: map[string]string{"a": "b"}}); err == nil ||
		!strings.Contains(err.Error(), "find.tags") {
		t.Errorf("find by tags on KV v1 = %v, want an error naming find.tags", err)
	}
}

// TestOpenBaoValidateChecksTheMount checks that Validate compares the store's version with
// the mount's, as ESO's OpenBao provider does, and says what to set.
func TestOpenBaoValidateChecksTheMount(t *testing.T) {
	t.Parallel()
	once(t, "mount kv1", func() {
		server.MustDo(t, "POST", "sys/mounts/kv1", map[string]any{"type": "kv", "options": map[string]string{"version": "1"}}, nil)
	})
	once(t, "mount transit", func() {
		server.MustDo(t, "POST", "sys/mounts/transit", map[string]any{"type": "transit"}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	auth := openBaoRootToken(t, ns)
	tests := []struct {
		name, path, version, want string
	}{
		{"v2 mount, v2 store", "secret", "v2", ""},
		{"v1 mount, v1 store", "kv1", "v1", ""},
		{"v2 mount, v1 store", "secret", "v1", `openbao mount "secret" is KV v2 but the store says v1: set spec.provider.openBao.version: v2`},
		{"v1 mount, default version", "kv1", "", `openbao mount "kv1" is KV v1 but the store says v2: set spec.provider.openBao.version: v1`},
		{"not KV", "transit", "v2", `is a "transit" engine, not KV`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newOpenBaoClient(t, openBaoStore(ns, esv1.OpenBaoProvider{Path: tt.path, Version: tt.version, Auth: auth}), ns)
			result, err := c.Validate(testContext(t))
			switch {
			case tt.want == "" && (err != nil || result != esv1.ValidationResultReady):
				t.Errorf("Validate = %v, %v; want Ready", result, err)
			case tt.want != "" && (result != esv1.ValidationResultError || err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, %v; want an error containing %q", result, err, tt.want)
			}
		})
	}
}

func TestOpenBaoValidateStore(t *testing.T) {
	token := &esv1.OpenBaoAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "t", Key: "token"}}
	secret := esv1.SecretKeySelector{Name: "s", Key: "k"}
	tests := []struct {
		name     string
		spec     esv1.OpenBaoProvider
		want     string
		admitted bool
	}{
		{name: "token", spec: esv1.OpenBaoProvider{Server: "https://bao:8200", Auth: token}},
		{name: "no server", spec: esv1.OpenBaoProvider{Auth: token}, want: "spec.provider.openBao.server: required"},
		{name: "server not a URL", spec: esv1.OpenBaoProvider{Server: "bao:8200", Auth: token}, want: "spec.provider.openBao.server:"},
		{name: "bad version", spec: esv1.OpenBaoProvider{Server: "http://b", Version: "v3", Auth: token}, want: "spec.provider.openBao.version:"},
		{name: "no auth", spec: esv1.OpenBaoProvider{Server: "http://b"}, want: "spec.provider.openBao.auth: required", admitted: true},
		{name: "empty auth", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{}}, want: "spec.provider.openBao.auth: set one of"},
		{name: "two methods", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{TokenSecretRef: token.TokenSecretRef,
			UserPass: &esv1.VaultUserPassAuth{Username: "u", SecretRef: secret}}}, want: "mutually exclusive"},
		{name: "token without key", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{
			TokenSecretRef: &esv1.SecretKeySelector{Name: "t"}}}, want: "spec.provider.openBao.auth.tokenSecretRef.key: required"},
		{name: "approle without role", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{
			AppRole: &esv1.OpenBaoAppRole{SecretRef: secret}}}, want: "spec.provider.openBao.auth.appRole: set roleId or roleRef"},
		{name: "approle with both", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{
			AppRole: &esv1.OpenBaoAppRole{RoleID: "r", RoleRef: &secret, SecretRef: secret}}}, want: "spec.provider.openBao.auth.appRole: roleId and roleRef"},
		{name: "userpass without username", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{
			UserPass: &esv1.VaultUserPassAuth{SecretRef: secret}}}, want: "spec.provider.openBao.auth.userPass.username: required"},
		{name: "secret in another namespace", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: &esv1.OpenBaoAuth{
			UserPass: &esv1.VaultUserPassAuth{Username: "u", SecretRef: esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: ptr("other")}}}},
			want: "spec.provider.openBao.auth.userPass.secretRef"},
		{name: "caBundle and caProvider", spec: esv1.OpenBaoProvider{Server: "http://b", Auth: token, CABundle: []byte("x"),
			CAProvider: &esv1.CAProvider{Type: esv1.CAProviderTypeSecret, Name: "ca", Key: "ca.crt"}}, want: "mutually exclusive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "openbao"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{OpenBao: &tt.spec}}}
			err := NewOpenBao().ValidateStore(store)
			var class error
			if tt.admitted {
				class = provider.ErrAdmittedMistake
			}
			conformance.CheckStoreError(t, err, tt.want, class)
		})
	}
}
