package vault

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// readTwenty reads key twenty times with c and fails t on any error or wrong value.
func readTwenty(t *testing.T, c provider.Client, key string) {
	t.Helper()
	for range 20 {
		got, err := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: key, Property: "user"})
		if err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
		if string(got) != "admin" {
			t.Fatalf("GetSecret = %q, want admin", got)
		}
	}
}

// countingKube is a Kubernetes client that counts TokenRequests.
func countingKube(t *testing.T) (client.Client, *atomic.Int32) {
	t.Helper()
	base, err := client.NewWithWatch(controlPlane.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	return interceptor.NewClient(base, interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj client.Object, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			if sub == "token" {
				n.Add(1)
			}
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
	}), &n
}

func serviceAccount(t *testing.T, ns, name string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := controlPlane.Client.Create(testContext(t), sa); err != nil {
		t.Fatal(err)
	}
}

func TestAppRoleWithRoleRef(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	roleID, secretID := appRole(t, "ref-"+ns, nil)
	kubeSecret(t, ns, "approle", map[string]string{"role-id": roleID, "secret-id": secretID})
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	before := server.Calls("POST /v1/auth/approle/login")
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{AppRole: &esv1.VaultAppRole{
		RoleRef:   &esv1.SecretKeySelector{Name: "approle", Key: "role-id"},
		SecretRef: esv1.SecretKeySelector{Name: "approle", Key: "secret-id"},
	}}}), ns)
	if result, err := c.Validate(testContext(t)); err != nil || result != esv1.ValidationResultReady {
		t.Fatalf("Validate = %v, %v", result, err)
	}
	readTwenty(t, c, ns+"/app")
	// Tests run in parallel, so other logins may interleave; ours is one of them.
	if server.Calls("POST /v1/auth/approle/login") == before {
		t.Error("no AppRole login reached the server")
	}
}

func TestUserPass(t *testing.T) {
	t.Parallel()
	enableAuth(t, "userpass", "userpass")
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	server.MustDo(t, "POST", "auth/userpass/users/"+ns, map[string]any{"password": "pw-" + ns, "token_policies": "reader"}, nil)
	kubeSecret(t, ns, "userpass", map[string]string{"password": "pw-" + ns})
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{UserPass: &esv1.VaultUserPassAuth{
		Path: "userpass", Username: ns, SecretRef: esv1.SecretKeySelector{Name: "userpass", Key: "password"},
	}}}), ns)
	readTwenty(t, c, ns+"/app")
	if n := server.Calls("POST /v1/auth/userpass/login/" + ns); n != 1 {
		t.Errorf("%d userpass logins for 20 reads, want 1", n)
	}

	kubeSecret(t, ns, "wrong", map[string]string{"password": "not-the-password"})
	bad := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{UserPass: &esv1.VaultUserPassAuth{
		Username: ns, SecretRef: esv1.SecretKeySelector{Name: "wrong", Key: "password"},
	}}}), ns)
	_, err := bad.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: ns + "/app"})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a wrong password = %v, want a login error", err)
	}
}

// setUpKubernetesAuth points Vault's Kubernetes auth method at the test control plane,
// with a reviewer ServiceAccount allowed to review tokens.
func setUpKubernetesAuth(t *testing.T) {
	t.Helper()
	once(t, "kubernetes auth", func() {
		enableAuth(t, "kubernetes", "kubernetes")
		ctx := testContext(t)
		ns := testenv.Namespace(t, controlPlane.Client, nil)
		serviceAccount(t, ns, "reviewer")
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "vault-reviewer-"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: "reviewer"}},
		}
		if err := controlPlane.Client.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		sa := &corev1.ServiceAccount{}
		if err := controlPlane.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "reviewer"}, sa); err != nil {
			t.Fatal(err)
		}
		token, _, err := provider.ServiceAccountToken(ctx, controlPlane.Client, sa, nil, 3600)
		if err != nil {
			t.Fatal(err)
		}
		server.MustDo(t, "POST", "auth/kubernetes/config", map[string]any{
			"kubernetes_host":    controlPlane.Config.Host,
			"kubernetes_ca_cert": string(controlPlane.Config.CAData),
			"token_reviewer_jwt": token,
		}, nil)
	})
}

func TestKubernetesAuth(t *testing.T) {
	t.Parallel()
	setUpKubernetesAuth(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	serviceAccount(t, ns, "app")
	server.MustDo(t, "POST", "auth/kubernetes/role/"+ns, map[string]any{
		"bound_service_account_names": "app", "bound_service_account_namespaces": ns, "token_policies": "reader",
	}, nil)
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	kube, tokenRequests := countingKube(t)

	t.Run("serviceAccountRef", func(t *testing.T) {
		before := server.Calls("POST /v1/auth/kubernetes/login")
		store := secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{Kubernetes: &esv1.VaultKubernetesAuth{
			Path: "kubernetes", Role: ns, ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "app"},
		}}})
		c, err := New().NewClient(testContext(t), store, kube, ns)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(context.Background()) }()
		readTwenty(t, c, ns+"/app")
		if n := tokenRequests.Load(); n != 1 {
			t.Errorf("%d TokenRequests for 20 reads, want 1", n)
		}
		if n := server.Calls("POST /v1/auth/kubernetes/login") - before; n < 1 {
			t.Errorf("no Kubernetes login reached the server")
		}
	})
	t.Run("secretRef", func(t *testing.T) {
		sa := &corev1.ServiceAccount{}
		if err := controlPlane.Client.Get(testContext(t), client.ObjectKey{Namespace: ns, Name: "app"}, sa); err != nil {
			t.Fatal(err)
		}
		token, _, err := provider.ServiceAccountToken(testContext(t), controlPlane.Client, sa, nil, 3600)
		if err != nil {
			t.Fatal(err)
		}
		kubeSecret(t, ns, "sa-token", map[string]string{"token": token})
		c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{Kubernetes: &esv1.VaultKubernetesAuth{
			Role: ns, SecretRef: &esv1.SecretKeySelector{Name: "sa-token", Key: "token"},
		}}}), ns)
		readTwenty(t, c, ns+"/app")
	})
	t.Run("another namespace's ServiceAccount", func(t *testing.T) {
		other := testenv.Namespace(t, controlPlane.Client, nil)
		store := secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{Kubernetes: &esv1.VaultKubernetesAuth{
			Role: ns, ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "app", Namespace: &other},
		}}})
		if _, err := New().NewClient(testContext(t), store, controlPlane.Client, ns); err == nil {
			t.Error("a SecretStore used a ServiceAccount of another namespace")
		}
	})
}

// issuerKeysPEM returns the control plane's ServiceAccount token signing key as a PEM
// public key, read from the file envtest gives kube-apiserver.
func issuerKeysPEM(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(controlPlane.Env.ControlPlane.APIServer.CertDir, "sa-signer.crt"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case "PUBLIC KEY":
			keys = append(keys, string(pem.EncodeToMemory(block)))
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
		}
	}
	if len(keys) == 0 {
		t.Fatal("the control plane's signing key file holds no key")
	}
	return keys
}

func TestJWTAuthWithServiceAccountToken(t *testing.T) {
	t.Parallel()
	once(t, "jwt auth", func() {
		enableAuth(t, "jwt", "jwt")
		server.MustDo(t, "POST", "auth/jwt/config", map[string]any{"jwt_validation_pubkeys": issuerKeysPEM(t)}, nil)
	})
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	serviceAccount(t, ns, "app")
	server.MustDo(t, "POST", "auth/jwt/role/"+ns, map[string]any{
		"role_type": "jwt", "bound_audiences": []string{"vault"}, "user_claim": "sub",
		"bound_subject": "system:serviceaccount:" + ns + ":app", "token_policies": "reader",
	}, nil)
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	kube, tokenRequests := countingKube(t)
	before := server.Calls("POST /v1/auth/jwt/login")
	store := secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{Jwt: &esv1.VaultJwtAuth{
		Path: "jwt", Role: ns,
		KubernetesServiceAccountToken: &esv1.VaultKubernetesServiceAccountTokenAuth{
			ServiceAccountRef: esv1.ServiceAccountSelector{Name: "app"},
		},
	}}})
	c, err := New().NewClient(testContext(t), store, kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	readTwenty(t, c, ns+"/app")
	if n := tokenRequests.Load(); n != 1 {
		t.Errorf("%d TokenRequests for 20 reads, want 1", n)
	}
	if server.Calls("POST /v1/auth/jwt/login") == before {
		t.Error("no JWT login reached the server")
	}

	t.Run("wrong audience", func(t *testing.T) {
		store := secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{Jwt: &esv1.VaultJwtAuth{
			Role: ns,
			KubernetesServiceAccountToken: &esv1.VaultKubernetesServiceAccountTokenAuth{
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "app"}, Audiences: []string{"not-vault"},
			},
		}}})
		c := newClient(t, store, ns)
		if _, err := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: ns + "/app"}); err == nil {
			t.Error("a token for another audience logged in")
		}
	})
}

// TestTokenRenewedThenReplaced follows one client through its token's life: reads within
// the first two thirds of the TTL use the token as it is, later reads renew it, and a new
// login happens only when the maximum TTL leaves too little.
func TestTokenRenewedThenReplaced(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	role := "short-" + ns
	roleID, secretID := appRole(t, role, map[string]any{"token_ttl": "6s", "token_max_ttl": "10s"})
	kubeSecret(t, ns, "approle", map[string]string{"secret-id": secretID})
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{AppRole: &esv1.VaultAppRole{
		Path: "approle", RoleID: roleID, SecretRef: esv1.SecretKeySelector{Name: "approle", Key: "secret-id"},
	}}}), ns)
	tokens := c.(*kvClient).conn.tokens
	read := func() string {
		t.Helper()
		readTwenty(t, c, ns+"/app")
		tokens.mu.Lock()
		defer tokens.mu.Unlock()
		return tokens.token
	}

	renewals := func() int { return server.Calls("POST /v1/auth/token/renew-self") }
	before := renewals()
	first := read()
	time.Sleep(time.Second)
	if again := read(); again != first {
		t.Fatal("the token changed within the first third of its TTL")
	}
	time.Sleep(3500 * time.Millisecond) // past two thirds of 6s: renew
	if renewed := read(); renewed != first {
		t.Fatal("a renewable token was replaced instead of renewed")
	}
	// Only this test's tokens live short enough to be renewed.
	if n := renewals() - before; n != 1 {
		t.Errorf("%d renewals for 20 reads past two thirds of the TTL, want 1", n)
	}
	time.Sleep(4 * time.Second) // the max TTL (10s) leaves too little: log in again
	if replaced := read(); replaced == first {
		t.Fatal("the token was not replaced near its maximum TTL")
	}
}

// TestRevokedTokenIsReplaced checks that a token Vault no longer accepts is replaced by a
// new login, once, and that a static token is not.
func TestRevokedTokenIsReplaced(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	roleID, secretID := appRole(t, "revoked-"+ns, nil)
	kubeSecret(t, ns, "approle", map[string]string{"secret-id": secretID})
	writeKV2(t, ns+"/app", map[string]any{"user": "admin"})
	c := newClient(t, secretStore(ns, esv1.VaultProvider{Path: ptr("secret"), Auth: &esv1.VaultAuth{AppRole: &esv1.VaultAppRole{
		RoleID: roleID, SecretRef: esv1.SecretKeySelector{Name: "approle", Key: "secret-id"},
	}}}), ns)
	readTwenty(t, c, ns+"/app")
	tokens := c.(*kvClient).conn.tokens
	tokens.mu.Lock()
	token := tokens.token
	tokens.reloginAfter403 = 0
	tokens.mu.Unlock()
	server.MustDo(t, "POST", "auth/token/revoke", map[string]any{"token": token}, nil)
	readTwenty(t, c, ns+"/app")
}
