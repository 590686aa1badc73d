package oracle

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// setup starts an OCI that knows the test user's key 0 and returns a client of a store
// that signs with keyPEM.
func setup(t *testing.T, keyPEM []byte) (*oraclefake.Server, *Provider, provider.Client) {
	t.Helper()
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	p := newProvider(f)
	store, kube := userStore(keyPEM)
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return f, p, c
}

func get(c provider.Client, key, version, prop string) ([]byte, error) {
	return c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: key, Version: version, Property: prop})
}

func TestValidateStore(t *testing.T) {
	full := func(edit func(o *esv1.OracleProvider)) esv1.GenericStore {
		store, _ := userStore(nil)
		edit(store.GetSpec().Provider.Oracle)
		return store
	}
	for _, tt := range []struct {
		name  string
		store esv1.GenericStore
		want  string
		class error
	}{
		{"user principal", full(func(*esv1.OracleProvider) {}), "", nil},
		{"principal type unset with auth", full(func(o *esv1.OracleProvider) { o.PrincipalType = "" }), "", nil},
		{"no vault", full(func(o *esv1.OracleProvider) { o.Vault = "" }), "spec.provider.oracle.vault: required: set the OCID of the vault", nil},
		{"no region", full(func(o *esv1.OracleProvider) { o.Region = "" }), "spec.provider.oracle.region: required", nil},
		{"region key", full(func(o *esv1.OracleProvider) { o.Region = "iad" }), `spec.provider.oracle.region: "iad" is not a region identifier`, provider.ErrFeatureNotImplemented},
		{"no tenancy", full(func(o *esv1.OracleProvider) { o.Auth.Tenancy = "" }), "spec.provider.oracle.auth.tenancy: required", nil},
		{"no user", full(func(o *esv1.OracleProvider) { o.Auth.User = "" }), "spec.provider.oracle.auth.user: required", nil},
		{"no private key name", full(func(o *esv1.OracleProvider) { o.Auth.SecretRef.PrivateKey.Name = "" }), "spec.provider.oracle.auth.secretRef.privatekey.name: required", nil},
		{"no fingerprint key", full(func(o *esv1.OracleProvider) { o.Auth.SecretRef.Fingerprint.Key = "" }), "spec.provider.oracle.auth.secretRef.fingerprint.key: required", nil},
		{"key in another namespace", full(func(o *esv1.OracleProvider) { ns := "other"; o.Auth.SecretRef.PrivateKey.Namespace = &ns }), "spec.provider.oracle.auth.secretRef.privatekey", nil},
		{"instance principal", full(func(o *esv1.OracleProvider) { o.PrincipalType = "InstancePrincipal"; o.Auth = nil }), "", nil},
		{"instance principal with auth", full(func(o *esv1.OracleProvider) { o.PrincipalType = "InstancePrincipal" }), "", nil},
		{"instance principal with incomplete auth", full(func(o *esv1.OracleProvider) { o.PrincipalType = "InstancePrincipal"; o.Auth.Tenancy = "" }), "spec.provider.oracle.auth.tenancy: required", nil},
		{"workload", full(func(o *esv1.OracleProvider) { o.PrincipalType = "Workload"; o.Auth = nil }), "", nil},
		{"no auth means instance principal", full(func(o *esv1.OracleProvider) { o.PrincipalType = ""; o.Auth = nil }), "", nil},
		{"user principal without auth", full(func(o *esv1.OracleProvider) { o.Auth = nil }), "", nil},
		{"unknown principal type", full(func(o *esv1.OracleProvider) { o.PrincipalType = "Resource" }), `spec.provider.oracle.principalType: "Resource" is not a principal type`, nil},
		{"service account elsewhere", full(func(o *esv1.OracleProvider) {
			ns := "other"
			o.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: "sa", Namespace: &ns}
		}), "spec.provider.oracle.serviceAccountRef", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conformance.CheckStoreError(t, New().ValidateStore(tt.store), tt.want, tt.class)
		})
	}
	// As in ESO, auth is checked whenever it is set: a Workload store is refused for an
	// incomplete auth it does not use.
	err := New().ValidateStore(full(func(o *esv1.OracleProvider) { o.PrincipalType = "Workload"; o.Auth.User = "" }))
	if gaps, mistakes := provider.SplitFeatureGaps(err); len(gaps) != 0 || len(mistakes) != 1 || !strings.Contains(mistakes[0].Error(), "auth.user: required") {
		t.Errorf("Workload with an incomplete auth: gaps %v, mistakes %v; want auth.user refused", gaps, mistakes)
	}
}

// TestRefusedSignature: a store whose private key is not the one OCI holds for its
// fingerprint is refused with 401 NotAuthenticated: Validate says what to check, and a
// read is an error, never "not found".
func TestRefusedSignature(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 1)))
	conformance.CheckRefusedCredentials(t, c, "OCI refused the request signature", "PRIVATE KEY")
	_, err := get(c, "x", "", "")
	if err == nil || !strings.Contains(err.Error(), "[NotAuthenticated]") {
		t.Errorf("GetSecret = %v, want OCI's NotAuthenticated", err)
	}
	if f.Refusals() < 3 || f.Count("bundle") != 0 || f.Count("vault") != 0 {
		t.Errorf("server refused %d requests and served %d reads, %d vault reads; want every request refused",
			f.Refusals(), f.Count("bundle"), f.Count("vault"))
	}
}

// TestStaleDateRefused: OCI refuses a request dated more than five minutes away, so a
// node whose clock is off cannot read.
func TestStaleDateRefused(t *testing.T) {
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	f.Put("db", []byte("v"), nil)
	p := newProvider(f)
	p.now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	store, kube := userStore(pkcs1PEM(apiKey(t, 0)))
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(c, "db", "", ""); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("GetSecret with a stale date = %v, want 401", err)
	}
	if f.Refusals() != 1 {
		t.Errorf("server refused %d requests, want 1", f.Refusals())
	}
}

// TestSignedBody: a request with a body signs its hash, length and type, as OCI requires
// for PUT and POST; a body changed after signing is refused.
func TestSignedBody(t *testing.T) {
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	s, err := newSigner(testTenancy, testUser, testFingerprint, pkcs1PEM(apiKey(t, 0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	send := func(tamper bool) int {
		body := []byte(`{"secretName":"db"}`)
		req, _ := http.NewRequest(http.MethodPost, f.Servers[vaultsService].URL+"/20180608/secrets", bytes.NewReader(body))
		if err := s.sign(req); err != nil {
			t.Fatal(err)
		}
		if tamper {
			req.Body, req.ContentLength = http.NoBody, 0
			req.Header.Set("Content-Length", "0")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	// The body lacks what CreateSecret needs: past authentication, it is answered 400.
	if got := send(false); got != http.StatusBadRequest {
		t.Errorf("signed POST: HTTP %d, want it past authentication (400)", got)
	}
	if got := send(true); got != http.StatusUnauthorized {
		t.Errorf("POST whose body changed after signing: HTTP %d, want 401", got)
	}
}

// TestVersions: remoteRef.version is a stage, as ESO sends it, or a version number.
func TestVersions(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	for _, v := range []string{"one", "two", "three"} {
		f.Put("db", []byte(v), nil)
	}
	for _, tt := range []struct{ version, want string }{
		{"", "three"}, {"CURRENT", "three"}, {"LATEST", "three"}, {"PREVIOUS", "two"}, {"1", "one"}, {"2", "two"},
	} {
		got, err := get(c, "db", tt.version, "")
		if err != nil || string(got) != tt.want {
			t.Errorf("version %q = %q, %v; want %q", tt.version, got, err, tt.want)
		}
	}
	if _, err := get(c, "db", "7", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("version 7 of 3 = %v, want ErrNotFound", err)
	}
	_, err := get(c, "db", "current-ish", "")
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "[InvalidParameter]") {
		t.Errorf("unknown stage = %v, want OCI's InvalidParameter, not ErrNotFound", err)
	}
}

// TestValuesAndProperties: values come back as stored, bytes included; a property is a
// path in the JSON value; a missing one says so.
func TestValuesAndProperties(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	binary := []byte{0, 0xff, 'x', '\n'}
	f.Put("cert", binary, nil)
	f.Put("db", []byte(`{"user":"app","conn":{"port":5432}}`), nil)
	if got, err := get(c, "cert", "", ""); err != nil || !bytes.Equal(got, binary) {
		t.Errorf("binary value = %v, %v", got, err)
	}
	if got, err := get(c, "db", "", "conn.port"); err != nil || string(got) != "5432" {
		t.Errorf("property conn.port = %q, %v", got, err)
	}
	if _, err := get(c, "db", "", "password"); !errors.Is(err, property.ErrNoSuchProperty) || !strings.Contains(err.Error(), `"db"`) {
		t.Errorf("missing property = %v, want ErrNoSuchProperty naming the secret", err)
	}
	if f.Count("bundle") != 3 {
		t.Errorf("%d bundle reads, want 3", f.Count("bundle"))
	}
}

// TestFindPagesAndSkipsDeletion: find walks every ListSecrets page, leaves out secrets
// pending deletion, and reads each match once.
func TestFindPagesAndSkipsDeletion(t *testing.T) {
	f, _, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	for _, name := range []string{"app-a", "app-b", "app-c", "app-d", "other"} {
		f.Put(name, []byte(`{"n":"`+name+`"}`), nil)
	}
	f.Put("app-gone", []byte(`{}`), nil)
	f.MarkPendingDeletion("app-gone")
	got, err := c.GetAllSecrets(context.Background(), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^app-"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || string(got["app-d"]) != `{"n":"app-d"}` || got["app-gone"] != nil {
		t.Errorf("find gave %v, want app-a to app-d", got)
	}
	if f.Count("list") != 3 || f.Count("bundle") != 4 {
		t.Errorf("%d list pages and %d reads, want 3 pages of 2 and 4 reads", f.Count("list"), f.Count("bundle"))
	}
	if _, err := c.GetAllSecrets(context.Background(), esv1.ExternalSecretFind{Path: ptr("app")}); err == nil || !strings.Contains(err.Error(), "has no paths") {
		t.Errorf("find.path = %v, want a refusal", err)
	}
}

func ptr(s string) *string { return &s }

// TestFindNeedsCompartment: OCI lists secrets by compartment, so find without one is
// refused before any call.
func TestFindNeedsCompartment(t *testing.T) {
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	store, kube := userStore(pkcs1PEM(apiKey(t, 0)))
	store.GetSpec().Provider.Oracle.Compartment = ""
	c, err := newProvider(f).NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAllSecrets(context.Background(), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "."}})
	if err == nil || !strings.Contains(err.Error(), "spec.provider.oracle.compartment is unset") || f.Count("list") != 0 {
		t.Errorf("find without compartment = %v after %d list calls", err, f.Count("list"))
	}
}

// TestValidate: the key is proved by reading the vault; a vault the user may not read is
// Unknown, as in ESO, since reading secrets needs less.
func TestValidate(t *testing.T) {
	f, p, c := setup(t, pkcs1PEM(apiKey(t, 0)))
	if r, err := c.Validate(context.Background()); r != esv1.ValidationResultReady || err != nil {
		t.Errorf("Validate = %v, %v", r, err)
	}
	store, kube := userStore(pkcs1PEM(apiKey(t, 0)))
	store.GetSpec().Provider.Oracle.Vault = "ocid1.vault.oc1.iad.elsewhere"
	other, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	r, err := other.Validate(context.Background())
	if r != esv1.ValidationResultUnknown || err == nil || !strings.Contains(err.Error(), "[NotAuthorizedOrNotFound]") {
		t.Errorf("Validate of an unreadable vault = %v, %v; want Unknown with OCI's code", r, err)
	}
	if f.Count("vault") != 2 {
		t.Errorf("%d vault reads, want 2", f.Count("vault"))
	}
}

// TestPrivateKeyFormats: PKCS#8 keys (what the OCI console gives today) sign too; a key
// that is not an RSA PEM key is refused naming the field, without quoting it.
func TestPrivateKeyFormats(t *testing.T) {
	der, err := x509.MarshalPKCS8PrivateKey(apiKey(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	f, _, c := setup(t, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	f.Put("db", []byte("v"), nil)
	if got, err := get(c, "db", "", ""); err != nil || string(got) != "v" {
		t.Errorf("read with a PKCS#8 key = %q, %v", got, err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	notPEM := "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ-not-pem"
	for _, tt := range []struct {
		name, key, want string
	}{
		{"not PEM", notPEM, "the private key is not PEM"},
		{"EC key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), "OCI API keys are RSA keys"},
		{"certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", `a PEM "CERTIFICATE" block`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store, kube := userStore([]byte(tt.key))
			_, err := newProvider(f).NewClient(context.Background(), store, kube, "apps")
			if err == nil || !strings.Contains(err.Error(), "spec.provider.oracle.auth.secretRef.privatekey: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClient = %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "MII") {
				t.Errorf("the error quotes the key: %v", err)
			}
		})
	}
}

// TestFailingServers: whatever fails on OCI's side (refusals, throttling, errors, a proxy's
// page, no answer), the store is not Ready and reads fail without being "not found".
func TestFailingServers(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		p := New()
		p.endpoint = func(string, string) string { return srv.URL }
		store, kube := userStore(pkcs1PEM(apiKey(t, 0)))
		c, err := p.NewClient(context.Background(), store, kube, "apps")
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}
