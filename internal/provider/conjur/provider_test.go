package conjur

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/conjur/conjurfake"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

func serverCAPEM(f *conjurfake.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})
}

func newClient(t *testing.T, p provider.Provider, store esv1.GenericStore, kube client.Client) *Client {
	t.Helper()
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

func mustGet(t *testing.T, c *Client, ref esv1.ExternalSecretDataRemoteRef) string {
	t.Helper()
	got, err := c.GetSecret(context.Background(), ref)
	if err != nil {
		t.Fatalf("GetSecret %+v: %v", ref, err)
	}
	return string(got)
}

// TestJWTServiceAccountLogin checks authn-jwt with a ServiceAccount token: the token is
// requested with the ref's audiences and posted as the form field jwt to the host id's
// login path.
func TestJWTServiceAccountLogin(t *testing.T) {
	f := startConjur(t, nil)
	f.AddJWTService("k8s-cluster", "sa-token-for-conjur")
	f.Put("apps/db/password", "pw", nil)
	var audiences []string
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ferry", Namespace: "apps"}}
	kube := fake.NewClientBuilder().WithObjects(sa).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceCreate: func(_ context.Context, _ client.Client, sub string, _ client.Object, req client.Object, _ ...client.SubResourceCreateOption) error {
			tr, ok := req.(*authv1.TokenRequest)
			if sub != "token" || !ok {
				return fmt.Errorf("unexpected subresource %s", sub)
			}
			audiences = tr.Spec.Audiences
			tr.Status.Token = "sa-token-for-conjur"
			return nil
		},
	}).Build()
	store := conjurStore(f, esv1.ConjurAuth{JWT: &esv1.ConjurJWT{Account: f.Account, ServiceID: "k8s-cluster",
		HostID: "host/apps/ferry", ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "ferry", Audiences: []string{"conjur"}}}})
	c := newClient(t, New(), store, kube)
	if got := mustGet(t, c, esv1.ExternalSecretDataRemoteRef{Key: "apps/db/password"}); got != "pw" {
		t.Errorf("value = %q", got)
	}
	if !slices.Equal(audiences, []string{"conjur"}) {
		t.Errorf("token audiences = %v, want the ref's", audiences)
	}
	if f.Count("POST authn-jwt") != 1 {
		t.Errorf("authn-jwt calls = %d, want 1", f.Count("POST authn-jwt"))
	}
}

// TestJWTSecretRef checks authn-jwt with a JWT from a Secret, read from key "token" when
// the ref names no key, and logging in without a host id.
func TestJWTSecretRef(t *testing.T) {
	f := startConjur(t, nil)
	f.AddJWTService("gitlab", "jwt-from-secret")
	f.Put("app/key", "k", nil)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "jwt", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte("jwt-from-secret\n")}}
	store := conjurStore(f, esv1.ConjurAuth{JWT: &esv1.ConjurJWT{Account: f.Account, ServiceID: "gitlab",
		SecretRef: &esv1.SecretKeySelector{Name: "jwt"}}})
	c := newClient(t, New(), store, fake.NewClientBuilder().WithObjects(secret).Build())
	if got := mustGet(t, c, esv1.ExternalSecretDataRemoteRef{Key: "app/key"}); got != "k" {
		t.Errorf("value = %q", got)
	}
}

// TestCertLogin checks authn-cert: the client certificate is presented on the TLS
// connection, with a host id in the path or without one (the identity of the certificate).
func TestCertLogin(t *testing.T) {
	caPEM, ca, caKey := newCA(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	f := startConjur(t, pool)
	f.AddCertService("edge")
	f.Put("vm/secret", "from-cert", nil)
	certPEM, keyPEM := newLeaf(t, ca, caKey, "vm-01")
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "client-cert", Namespace: "apps"},
		Data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM}}
	kube := fake.NewClientBuilder().WithObjects(secret).Build()
	for _, host := range []string{"host/vm-01", ""} {
		store := conjurStore(f, esv1.ConjurAuth{Cert: &esv1.ConjurCert{Account: f.Account, ServiceID: "edge", HostID: host,
			ClientCertRef: esv1.SecretKeySelector{Name: "client-cert", Key: "tls.crt"},
			ClientKeyRef:  esv1.SecretKeySelector{Name: "client-cert", Key: "tls.key"}}})
		c := newClient(t, New(), store, kube)
		if got := mustGet(t, c, esv1.ExternalSecretDataRemoteRef{Key: "vm/secret"}); got != "from-cert" {
			t.Errorf("hostId %q: value = %q", host, got)
		}
	}
	// A certificate of another host is refused with a reason a user acts on.
	store := conjurStore(f, esv1.ConjurAuth{Cert: &esv1.ConjurCert{Account: f.Account, ServiceID: "edge", HostID: "host/other",
		ClientCertRef: esv1.SecretKeySelector{Name: "client-cert", Key: "tls.crt"},
		ClientKeyRef:  esv1.SecretKeySelector{Name: "client-cert", Key: "tls.key"}}})
	_, err := newClient(t, New(), store, kube).Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "did not accept the credentials") {
		t.Errorf("Validate with another host's certificate = %v, want a 401 that says to check the credentials", err)
	}
}

// TestTokenReplacedBeforeExpiry checks that the access token is kept for reads, replaced
// once two thirds of its 8 minutes have passed, and replaced once when Conjur stops
// accepting it.
func TestTokenReplacedBeforeExpiry(t *testing.T) {
	f := startConjur(t, nil)
	store, kube := apiKeyStore(f)
	f.Put("a", "1", nil)
	now := time.Now()
	p := &Provider{cacheOpts: []credcache.Option{credcache.WithClock(func() time.Time { return now })}}
	c := newClient(t, p, store, kube)
	ref := esv1.ExternalSecretDataRemoteRef{Key: "a"}
	for range 5 {
		mustGet(t, c, ref)
	}
	if f.Logins() != 1 {
		t.Fatalf("5 reads logged in %d times, want 1", f.Logins())
	}
	now = now.Add(5*time.Minute + 30*time.Second)
	mustGet(t, c, ref)
	if f.Logins() != 2 {
		t.Fatalf("a read 5m30s after the login (of 8m tokens) logged in %d times in all, want 2", f.Logins())
	}
	now = now.Add(time.Minute)
	f.RevokeAll()
	mustGet(t, c, ref)
	if f.Logins() != 3 {
		t.Errorf("a read with a revoked token logged in %d times in all, want 3", f.Logins())
	}
}

// TestWrongAPIKey checks that a refused login fails Validate with a reason a user acts on,
// without the API key in it.
func TestWrongAPIKey(t *testing.T) {
	f := startConjur(t, nil)
	store, _ := apiKeyStore(f)
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "conjur-creds", Namespace: "apps"},
		Data: map[string][]byte{"hostid": []byte("host/ferry"), "apikey": []byte("wrong-api-key")}}
	c := newClient(t, New(), store, fake.NewClientBuilder().WithObjects(creds).Build())
	res, err := c.Validate(context.Background())
	if res != esv1.ValidationResultError || err == nil {
		t.Fatalf("Validate = %v, %v; want an error", res, err)
	}
	if !strings.Contains(err.Error(), "did not accept the credentials") || strings.Contains(err.Error(), "wrong-api-key") {
		t.Errorf("Validate error = %v, want the reason and not the key", err)
	}
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "x"}); errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a refused login reads as not found, which would delete target Secrets: %v", err)
	}
}

// TestFailingServer checks that a server answering errors, garbage or nothing fails
// Validate and reads, never as "not found", and within the caller's deadline.
func TestFailingServer(t *testing.T) {
	store, kube := apiKeyStore(startConjur(t, nil))
	conformance.RunFailingServers(t, conformance.FailingOptions{TLS: true}, func(t *testing.T, srv *httptest.Server) provider.Client {
		s := store.(*esv1.SecretStore).DeepCopy()
		s.Spec.Provider.Conjur.URL = srv.URL
		s.Spec.Provider.Conjur.CABundle = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
		return newClient(t, New(), s, kube)
	})
}

// TestFindPagesAndBatches checks that find lists variables 100 at a time and reads the
// matches in one batch call.
func TestFindPagesAndBatches(t *testing.T) {
	f := startConjur(t, nil)
	store, kube := apiKeyStore(f)
	for i := range 250 {
		f.Put(fmt.Sprintf("bulk/v%03d", i), fmt.Sprint("value-", i), nil)
	}
	f.Put("bulk/bin", "\x00\xff", map[string]string{"team": "x"})
	c := newClient(t, New(), store, kube)
	got, err := c.GetAllSecrets(context.Background(), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: `^bulk/(v24[0-9]|bin)$`}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 11 || string(got["bulk/v245"]) != "value-245" || string(got["bulk/bin"]) != "\x00\xff" {
		t.Errorf("find gave %d secrets, want v240..v249 and the binary one intact", len(got))
	}
	if lists, reads := f.Count("GET resources"), f.Count("GET secrets"); lists != 3 || reads != 1 {
		t.Errorf("find made %d listings and %d reads, want 3 pages and 1 batch", lists, reads)
	}
}

// TestMetadataFetch checks that metadataPolicy Fetch reads the variable's annotations.
func TestMetadataFetch(t *testing.T) {
	f := startConjur(t, nil)
	store, kube := apiKeyStore(f)
	f.Put("db/pass", "pw", map[string]string{"owner": "team-a", "rotation": "30d"})
	c := newClient(t, New(), store, kube)
	ref := esv1.ExternalSecretDataRemoteRef{Key: "db/pass", MetadataPolicy: esv1.MetadataPolicyFetch}
	if got := mustGet(t, c, ref); got != `{"owner":"team-a","rotation":"30d"}` {
		t.Errorf("annotations = %s", got)
	}
	ref.Property = "owner"
	if got := mustGet(t, c, ref); got != "team-a" {
		t.Errorf("annotation owner = %q", got)
	}
	m, err := c.GetSecretMap(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db/pass", MetadataPolicy: esv1.MetadataPolicyFetch})
	if err != nil || string(m["rotation"]) != "30d" {
		t.Errorf("GetSecretMap of annotations = %v, %v", m, err)
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	ref := esv1.SecretKeySelector{Name: "s", Key: "k"}
	for _, tt := range []struct {
		name string
		spec esv1.ConjurProvider
		want string // "" for valid
	}{
		{"apikey", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{Account: "a", UserRef: ref, APIKeyRef: ref}}}, ""},
		{"no url", esv1.ConjurProvider{Auth: esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{Account: "a", UserRef: ref, APIKeyRef: ref}}}, "spec.provider.conjur.url: required"},
		{"bad url", esv1.ConjurProvider{URL: "conjur:443", Auth: esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{Account: "a", UserRef: ref, APIKeyRef: ref}}}, "spec.provider.conjur.url"},
		{"no auth", esv1.ConjurProvider{URL: "https://conjur"}, "set exactly one of apikey, jwt or cert"},
		{"no account", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{UserRef: ref, APIKeyRef: ref}}}, "auth.apikey.account: required"},
		{"jwt without source", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{JWT: &esv1.ConjurJWT{Account: "a", ServiceID: "s"}}}, "set serviceAccountRef or secretRef"},
		{"jwt secret without key", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{JWT: &esv1.ConjurJWT{Account: "a", ServiceID: "s", SecretRef: &esv1.SecretKeySelector{Name: "jwt"}}}}, ""},
		{"jwt no service", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{JWT: &esv1.ConjurJWT{Account: "a", SecretRef: &ref}}}, "auth.jwt.serviceID: required"},
		{"cert other namespace", esv1.ConjurProvider{URL: "https://conjur", Auth: esv1.ConjurAuth{Cert: &esv1.ConjurCert{Account: "a", ServiceID: "s", ClientCertRef: ref,
			ClientKeyRef: esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &other}}}}, "auth.cert.clientKeyRef.namespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Namespace: "apps"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Conjur: &tt.spec}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want %q", err, tt.want)
			}
		})
	}
}

func newCA(t *testing.T) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, key
}

func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func TestSameForEveryNamespace(t *testing.T) {
	ns := "conjur-creds"
	named := esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &ns}
	unnamed := esv1.SecretKeySelector{Name: "s", Key: "k"}
	for _, tt := range []struct {
		name string
		auth esv1.ConjurAuth
		want bool
	}{
		{"apikey in a named namespace", esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{UserRef: named, APIKeyRef: named}}, true},
		{"apikey following the ExternalSecret", esv1.ConjurAuth{APIKey: &esv1.ConjurAPIKey{UserRef: named, APIKeyRef: unnamed}}, false},
		{"jwt service account named", esv1.ConjurAuth{JWT: &esv1.ConjurJWT{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "a", Namespace: &ns}}}, true},
		{"jwt service account unnamed", esv1.ConjurAuth{JWT: &esv1.ConjurJWT{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "a"}}}, false},
		{"cert named", esv1.ConjurAuth{Cert: &esv1.ConjurCert{ClientCertRef: named, ClientKeyRef: named}}, true},
	} {
		store := &esv1.ClusterSecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.ClusterSecretStoreKind},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Conjur: &esv1.ConjurProvider{Auth: tt.auth}}}}
		if got := (&Provider{}).SameForEveryNamespace(store); got != tt.want {
			t.Errorf("%s: SameForEveryNamespace = %v, want %v", tt.name, got, tt.want)
		}
	}
}
