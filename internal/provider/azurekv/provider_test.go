package azurekv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func newTestClient(t *testing.T, f *fakeAzure, store esv1.GenericStore, kube client.Client) *Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

func TestObjectTypesAndTags(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	c := newTestClient(t, f, store, kube)
	ctx := context.Background()
	f.put("db", `{"user":"admin"}`, map[string]string{"team": "payments"})
	f.keys["signing"] = `{"kid":"` + f.srv.URL + `/keys/signing/1","kty":"RSA","n":"AQAB","e":"AQAB"}`
	f.certs["tls"] = []byte{0x30, 0x82, 0x01, 0x02}

	for _, tt := range []struct {
		name string
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{"plain name", esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"}, "admin"},
		{"secret prefix", esv1.ExternalSecretDataRemoteRef{Key: "secret/db", Property: "user"}, "admin"},
		{"tags", esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch}, `{"team":"payments"}`},
		{"one tag", esv1.ExternalSecretDataRemoteRef{Key: "db", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "team"}, "payments"},
		{"key as JWK", esv1.ExternalSecretDataRemoteRef{Key: "key/signing", Property: "kty"}, "RSA"},
		{"certificate DER", esv1.ExternalSecretDataRemoteRef{Key: "cert/tls"}, string([]byte{0x30, 0x82, 0x01, 0x02})},
		{"certificate tags", esv1.ExternalSecretDataRemoteRef{Key: "cert/tls", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "kind"}, "cert"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.GetSecret(ctx, tt.ref)
			if err != nil || strings.TrimSpace(string(got)) != tt.want {
				t.Errorf("GetSecret = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, key := range []string{"key/absent", "cert/absent", "secret/absent"} {
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key}); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret %s = %v, want ErrNotFound", key, err)
		}
	}
	// A disabled secret is an error, not "not found": it must not delete the target.
	f.put("off", "x", nil)
	f.secrets["off"].enabled = false
	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "off"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "403") {
		t.Errorf("GetSecret of a disabled secret = %v, want an HTTP 403 error", err)
	}
	if f.Logins() != 1 {
		t.Errorf("one client logged in %d times, want once", f.Logins())
	}
}

func TestPushSecret(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	c := newTestClient(t, f, store, kube)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "pushed"}
	if ok, err := c.SecretExists(ctx, ref); ok || err != nil {
		t.Fatalf("SecretExists before a push = %v, %v", ok, err)
	}
	for range 2 {
		if err := c.PushSecret(ctx, []byte("one"), ref); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.secrets["pushed"].versions); n != 1 {
		t.Errorf("pushing the same value twice made %d versions, want 1", n)
	}
	if f.secrets["pushed"].tags[provider.ManagedByTag] != provider.ManagedByValue {
		t.Errorf("pushed secret tags = %v", f.secrets["pushed"].tags)
	}
	if err := c.PushSecret(ctx, []byte("admin"), provider.PushRef{RemoteKey: "secret/obj", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("pw"), provider.PushRef{RemoteKey: "obj", Property: "password"}); err != nil {
		t.Fatal(err)
	}
	var obj map[string]string
	if err := json.Unmarshal([]byte(f.secrets["obj"].versions[1].value), &obj); err != nil || obj["user"] != "admin" || obj["password"] != "pw" {
		t.Fatalf("object after two property pushes = %v, %v", obj, err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "obj", Property: "user"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.SecretExists(ctx, provider.PushRef{RemoteKey: "obj", Property: "user"}); ok {
		t.Error("the deleted property still exists")
	}
	if err := c.DeleteSecret(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.SecretExists(ctx, ref); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, ref); err != nil {
		t.Errorf("deleting a deleted secret: %v", err)
	}
	f.put("foreign", "theirs", map[string]string{"owner": "someone"})
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "foreign"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("push to an unmanaged secret = %v, want ErrNotManaged", err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "foreign"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("delete of an unmanaged secret = %v, want ErrNotManaged", err)
	}
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "key/k"}); err == nil {
		t.Error("a push to a key was accepted")
	}
}

// TestWorkloadIdentity checks that a ServiceAccount token reaches the token endpoint as a
// client assertion for the application the ServiceAccount names.
func TestWorkloadIdentity(t *testing.T) {
	f := startAzure(t)
	f.checkGrant = func(form url.Values) string {
		if form.Get("client_id") != "wi-app" ||
			form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
			form.Get("client_assertion") == "" || form.Get("client_secret") != "" {
			return "unexpected workload identity grant"
		}
		return ""
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: "apps",
		Annotations: map[string]string{ClientIDAnnotation: "wi-app", TenantIDAnnotation: testTenant}}}
	kube := fake.NewClientBuilder().WithObjects(sa).Build()
	store := azureStore(esv1.AzureKVProvider{VaultURL: ptr(f.srv.URL), AuthType: ptr(esv1.AzureWorkloadIdentity),
		ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "reader"}})
	c := newTestClient(t, f, store, kube)
	f.put("db", "v", nil)
	for range 3 {
		if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil || string(got) != "v" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
	}
	if f.Logins() != 1 {
		t.Errorf("logins = %d, want 1", f.Logins())
	}
}

// TestMountedWorkloadIdentity: WorkloadIdentity without serviceAccountRef exchanges the token
// the Azure Workload Identity webhook mounted into Ferry's pod, read anew for each login, for
// the application its variables name; without them the error says what to do.
func TestMountedWorkloadIdentity(t *testing.T) {
	f := startAzure(t)
	tokenFile := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(tokenFile, []byte("mounted-token-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.checkGrant = func(form url.Values) string {
		if form.Get("client_id") != "ferry-app" || form.Get("client_assertion") != "mounted-token-1" ||
			form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "unexpected mounted workload identity grant"
		}
		return ""
	}
	store := azureStore(esv1.AzureKVProvider{VaultURL: ptr(f.srv.URL), AuthType: ptr(esv1.AzureWorkloadIdentity)})
	kube := fake.NewClientBuilder().Build()

	if _, err := testProvider(f).NewClient(context.Background(), store, kube, "apps"); err == nil ||
		!strings.Contains(err.Error(), "AZURE_") || !strings.Contains(err.Error(), "azure.workload.identity/use=true") {
		t.Errorf("without the webhook's variables: %v, want an error naming what is missing and what to do", err)
	}
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", tokenFile)
	t.Setenv("AZURE_CLIENT_ID", "ferry-app")
	t.Setenv("AZURE_TENANT_ID", testTenant)
	c := newTestClient(t, f, store, kube)
	f.put("db", "v", nil)
	if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil || string(got) != "v" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
	if f.Logins() != 1 {
		t.Errorf("logins = %d, want 1", f.Logins())
	}
}

// TestClientCertificate checks the certificate flavour of ServicePrincipal: a signed
// assertion instead of a secret.
func TestClientCertificate(t *testing.T) {
	f := startAzure(t)
	f.checkGrant = func(form url.Values) string {
		if form.Get("client_secret") != "" || len(strings.Split(form.Get("client_assertion"), ".")) != 3 {
			return "expected a signed client assertion"
		}
		return ""
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ferry-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sp-cert", Namespace: "apps"},
		Data: map[string][]byte{"client-id": []byte("app-2"), "tenant": []byte(testTenant), "cert": bundle}}
	store := azureStore(esv1.AzureKVProvider{VaultURL: ptr(f.srv.URL), AuthSecretRef: &esv1.AzureKVAuth{
		ClientID:          &esv1.SecretKeySelector{Name: "sp-cert", Key: "client-id"},
		TenantID:          &esv1.SecretKeySelector{Name: "sp-cert", Key: "tenant"},
		ClientCertificate: &esv1.SecretKeySelector{Name: "sp-cert", Key: "cert"},
	}})
	c := newTestClient(t, f, store, fake.NewClientBuilder().WithObjects(creds).Build())
	f.put("db", "v", nil)
	if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil || string(got) != "v" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
}

// TestRefusedLogin checks that a refused login fails the read without quoting the secret.
func TestRefusedLogin(t *testing.T) {
	f := startAzure(t)
	f.checkGrant = func(url.Values) string { return "wrong secret" }
	store, kube := clientSecretStore(f)
	c := newTestClient(t, f, store, kube)
	f.put("db", "v", nil)
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || strings.Contains(err.Error(), "sp-password") {
		t.Errorf("GetSecret with a refused login = %v", err)
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	sel := func(name string) *esv1.SecretKeySelector { return &esv1.SecretKeySelector{Name: "s", Key: name} }
	for _, tt := range []struct {
		name string
		spec esv1.AzureKVProvider
		want string
	}{
		{"client secret", esv1.AzureKVProvider{VaultURL: ptr("https://v.vault.azure.net"), TenantID: ptr("t"),
			AuthSecretRef: &esv1.AzureKVAuth{ClientID: sel("id"), ClientSecret: sel("secret")}}, ""},
		{"no vault", esv1.AzureKVProvider{AuthType: ptr(esv1.AzureManagedIdentity)}, "spec.provider.azurekv.vaultUrl"},
		{"http vault", esv1.AzureKVProvider{VaultURL: ptr("http://v"), AuthType: ptr(esv1.AzureManagedIdentity)}, "vaultUrl"},
		{"no tenant", esv1.AzureKVProvider{VaultURL: ptr("https://v"),
			AuthSecretRef: &esv1.AzureKVAuth{ClientID: sel("id"), ClientSecret: sel("secret")}}, "spec.provider.azurekv.tenantId"},
		{"secret and certificate", esv1.AzureKVProvider{VaultURL: ptr("https://v"), TenantID: ptr("t"),
			AuthSecretRef: &esv1.AzureKVAuth{ClientID: sel("id"), ClientSecret: sel("s"), ClientCertificate: sel("c")}}, "exactly one"},
		{"other namespace", esv1.AzureKVProvider{VaultURL: ptr("https://v"), TenantID: ptr("t"),
			AuthSecretRef: &esv1.AzureKVAuth{ClientID: sel("id"), ClientSecret: &esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &other}}},
			"authSecretRef.clientSecret.namespace"},
		{"workload identity with Ferry's own token", esv1.AzureKVProvider{VaultURL: ptr("https://v"), AuthType: ptr(esv1.AzureWorkloadIdentity)}, ""},
		{"azure stack without endpoint", esv1.AzureKVProvider{VaultURL: ptr("https://v"), AuthType: ptr(esv1.AzureManagedIdentity),
			EnvironmentType: esv1.AzureEnvironmentAzureStackCloud}, "customCloudConfig.activeDirectoryEndpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Provider{}.ValidateStore(azureStore(tt.spec))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("ValidateStore = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
