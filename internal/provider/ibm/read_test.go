package ibm

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
)

// newClient builds a client of the store with API key auth against f.
func newClient(t testing.TB, f *ibmfake.Server, p *Provider) *Client {
	t.Helper()
	c, err := p.NewClient(context.Background(), ibmStore(f, apiKeyAuth(f)), kubeWith(testAPIKey), "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

// Certificates as Secrets Manager returns them (PEM text; the content does not matter to
// the provider, only which field it lands in).
const (
	pemCert         = "-----BEGIN CERTIFICATE-----\nMIIBleaf\n-----END CERTIFICATE-----\n"
	pemIntermediate = "-----BEGIN CERTIFICATE-----\nMIIBintermediate\n-----END CERTIFICATE-----\n"
	pemKey          = "-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n"
)

// seedTypes stores one secret of each type ESO reads, with the value fields IBM's API
// reference gives that type, and returns their IDs by type.
func seedTypes(f *ibmfake.Server) map[string]string {
	ids := map[string]string{}
	for secretType, values := range map[string]map[string]any{
		typeArbitrary:        {"payload": "arbitrary-payload"},
		typeUsernamePassword: {"username": "app-user", "password": "app-password"},
		typeIAMCredentials:   {"api_key": "iam-generated-key", "service_id": "ServiceId-1", "reuse_api_key": true, "ttl": "1d"},
		typeServiceCredentials: {"credentials": map[string]any{"apikey": "cos-key", "iam_apikey_name": "cos-writer",
			"iam_role_crn": "crn:v1:bluemix:public:iam::::serviceRole:Writer"}},
		typeImportedCert:      {"certificate": pemCert, "intermediate": pemIntermediate, "private_key": pemKey, "common_name": "app.example.com"},
		typePublicCert:        {"certificate": pemCert, "intermediate": pemIntermediate, "private_key": pemKey, "common_name": "www.example.com"},
		typePrivateCert:       {"certificate": pemCert, "private_key": pemKey, "issuing_ca": pemIntermediate, "ca_chain": []string{pemIntermediate}},
		typeKV:                {"data": map[string]any{"host": "db.internal", "port": 5432, "tls": map[string]any{"mode": "verify-full"}, "special.key": "dotted"}},
		typeCustomCredentials: {"credentials_content": map[string]any{"token": "custom-token", "expires": "2027-01-01"}},
	} {
		ids[secretType], _ = f.Put("default", secretType, secretType+"-secret", values)
	}
	return ids
}

// TestSecretTypes reads each secret type ESO reads, by "<type>/<id>" (and an arbitrary one
// by its bare ID), one value with remoteRef and all with dataFrom.extract, under ESO's keys.
func TestSecretTypes(t *testing.T) {
	f := startIBM(t)
	ids := seedTypes(f)
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()

	for _, tc := range []struct {
		key, property, want string
	}{
		{ids[typeArbitrary], "", "arbitrary-payload"},
		{"arbitrary/" + ids[typeArbitrary], "", "arbitrary-payload"},
		{"username_password/" + ids[typeUsernamePassword], "username", "app-user"},
		{"username_password/" + ids[typeUsernamePassword], "password", "app-password"},
		{"iam_credentials/" + ids[typeIAMCredentials], "", "iam-generated-key"},
		{"service_credentials/" + ids[typeServiceCredentials], "",
			`{"apikey":"cos-key","iam_apikey_name":"cos-writer","iam_role_crn":"crn:v1:bluemix:public:iam::::serviceRole:Writer"}`},
		{"imported_cert/" + ids[typeImportedCert], "certificate", pemCert},
		{"imported_cert/" + ids[typeImportedCert], "intermediate", pemIntermediate},
		{"public_cert/" + ids[typePublicCert], "private_key", pemKey},
		{"private_cert/" + ids[typePrivateCert], "certificate", pemCert},
		{"private_cert/" + ids[typePrivateCert], "issuing_ca", pemIntermediate},
		{"kv/" + ids[typeKV], "", `{"host":"db.internal","port":5432,"special.key":"dotted","tls":{"mode":"verify-full"}}`},
		{"kv/" + ids[typeKV], "host", "db.internal"},
		{"kv/" + ids[typeKV], "port", "5432"},
		{"kv/" + ids[typeKV], "tls.mode", "verify-full"},
		{"kv/" + ids[typeKV], "special.key", "dotted"},
		{"custom_credentials/" + ids[typeCustomCredentials], "token", "custom-token"},
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key, Property: tc.property})
		if err != nil || string(got) != tc.want {
			t.Errorf("GetSecret %s property %q = %q, %v; want %q", tc.key, tc.property, got, err, tc.want)
		}
	}

	for _, tc := range []struct {
		key  string
		want map[string]string
	}{
		{ids[typeArbitrary], map[string]string{"arbitrary": "arbitrary-payload"}},
		{"username_password/" + ids[typeUsernamePassword], map[string]string{"username": "app-user", "password": "app-password"}},
		{"iam_credentials/" + ids[typeIAMCredentials], map[string]string{"apikey": "iam-generated-key"}},
		{"service_credentials/" + ids[typeServiceCredentials], map[string]string{"credentials": `{"apikey":"cos-key","iam_apikey_name":"cos-writer","iam_role_crn":"crn:v1:bluemix:public:iam::::serviceRole:Writer"}`}},
		{"imported_cert/" + ids[typeImportedCert], map[string]string{"certificate": pemCert, "intermediate": pemIntermediate, "private_key": pemKey}},
		{"public_cert/" + ids[typePublicCert], map[string]string{"certificate": pemCert, "intermediate": pemIntermediate, "private_key": pemKey}},
		{"private_cert/" + ids[typePrivateCert], map[string]string{"certificate": pemCert, "private_key": pemKey}},
		{"kv/" + ids[typeKV], map[string]string{"host": "db.internal", "port": "5432", "tls": `{"mode":"verify-full"}`, "special.key": "dotted"}},
		{"custom_credentials/" + ids[typeCustomCredentials], map[string]string{"token": "custom-token", "expires": "2027-01-01"}},
	} {
		got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key})
		if err != nil || !sameMap(got, tc.want) {
			t.Errorf("GetSecretMap %s = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
	got, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "kv/" + ids[typeKV], Property: "tls"})
	if err != nil || !sameMap(got, map[string]string{"mode": "verify-full"}) {
		t.Errorf("GetSecretMap kv at property tls = %q, %v; want the keys of the object at tls", got, err)
	}
}

func sameMap(got map[string][]byte, want map[string]string) bool {
	return maps.EqualFunc(got, want, func(g []byte, w string) bool { return string(g) == w })
}

// TestImportedCertWithoutKey: an imported certificate without intermediate or private key
// gives them empty, as ESO does, so a kubernetes.io/tls Secret can still be made; a public
// certificate without them is an error naming the missing field.
func TestImportedCertWithoutKey(t *testing.T) {
	f := startIBM(t)
	imported, _ := f.Put("default", typeImportedCert, "bare", map[string]any{"certificate": pemCert})
	public, _ := f.Put("default", typePublicCert, "bare", map[string]any{"certificate": pemCert})
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "imported_cert/" + imported, Property: "private_key"})
	if err != nil || len(got) != 0 {
		t.Errorf("imported_cert private_key = %q, %v; want empty", got, err)
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "imported_cert/" + imported})
	if err != nil || !sameMap(m, map[string]string{"certificate": pemCert, "intermediate": "", "private_key": ""}) {
		t.Errorf("imported_cert map = %q, %v; want the certificate and empty intermediate and private_key", m, err)
	}
	_, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "public_cert/" + public})
	if err == nil || !strings.Contains(err.Error(), `no field "intermediate"`) || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("public_cert without intermediate = %v; want an error naming the field, not ErrNotFound", err)
	}
}

// TestLookupByName reads secrets by "<group name>/<type>/<name>" (the default group and a
// group of its own, whose ID is not its name), and checks which API paths were asked.
func TestLookupByName(t *testing.T) {
	f := startIBM(t)
	f.Put("default", typeArbitrary, "api-token", map[string]any{"payload": "in-default"})
	id, _ := f.Put("payments", typeUsernamePassword, "db-login", map[string]any{"username": "payer", "password": "pw-payments"})
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()

	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "default/arbitrary/api-token"})
	if err != nil || string(got) != "in-default" {
		t.Errorf("default/arbitrary/api-token = %q, %v", got, err)
	}
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "payments/username_password/db-login", Property: "password"})
	if err != nil || string(got) != "pw-payments" {
		t.Errorf("payments/username_password/db-login = %q, %v", got, err)
	}
	if n := f.Count("GET /api/v2/secret_groups/payments/secret_types/username_password/secrets/db-login"); n != 1 {
		t.Errorf("the by-name path was asked %d times, want 1", n)
	}
	// A group and type before an ID: the ID decides, as in ESO.
	got, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "payments/username_password/" + id, Property: "username"})
	if err != nil || string(got) != "payer" || f.Count("GET /api/v2/secrets/"+id) != 1 {
		t.Errorf("payments/username_password/<id> = %q, %v; want the secret read by its ID", got, err)
	}

	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "payments/username_password/no-such", Property: "password"})
	if !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing name = %v; want ErrNotFound", err)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "no-group/arbitrary/api-token"})
	if !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing group = %v; want ErrNotFound", err)
	}
}

// TestKeyErrors: keys Ferry cannot map to a request fail before any call, saying how to
// write the key.
func TestKeyErrors(t *testing.T) {
	f := startIBM(t)
	c := newClient(t, f, testProvider(f))
	for _, tc := range []struct{ key, property, want string }{
		{"api-token", "", "is not a secret ID"},
		{"arbitrary/api-token", "", "<secret group name>/arbitrary/api-token"},
		{"secret/" + ibmfake.NewID(), "", `unknown secret type "secret"`},
		{"a/b/c/d", "", "write <secret id>"},
		{"default//name", "", "a part is empty"},
		{"username_password/" + ibmfake.NewID(), "", "needs remoteRef.property: username or password"},
		{"public_cert/" + ibmfake.NewID(), "", "needs remoteRef.property: certificate, private_key or intermediate"},
	} {
		_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: tc.key, Property: tc.property})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q = %v; want an error with %q", tc.key, err, tc.want)
		}
	}
	// Every key fails before any call: the last two lack the property their type needs.
	if n := f.SMRequests(); n != 0 {
		t.Errorf("%d calls to Secrets Manager, want none", n)
	}
}

// TestTypeMismatch: a key whose type is not the secret's says which type it is.
func TestTypeMismatch(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeKV, "settings", map[string]any{"data": map[string]any{"a": "b"}})
	c := newClient(t, f, testProvider(f))
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: id})
	if err == nil || !strings.Contains(err.Error(), "is of type kv, not arbitrary; write kv/"+id) || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("reading a kv secret as arbitrary = %v", err)
	}
}

// TestMetadataPolicyFetch: dataFrom.extract with metadataPolicy Fetch gives the secret's
// fields (names, dates, labels) with the type's keys; remoteRef ignores it, as in ESO.
func TestMetadataPolicyFetch(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeUsernamePassword, "db-login", map[string]any{"username": "app-user", "password": "app-password"})
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()
	key := "username_password/" + id

	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: key, MetadataPolicy: esv1.MetadataPolicyFetch})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"id": id, "name": "db-login", "created_at": "2026-01-02T03:04:05Z",
		"created_by": "iam-ServiceId-1234", "secret_group_id": "default", "labels": `["team-a"]`, "versions_total": "1",
		"username": "app-user", "password": "app-password"} {
		if string(m[k]) != want {
			t.Errorf("with Fetch, %s = %q; want %q", k, m[k], want)
		}
	}
	m, err = c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
	if err != nil || !sameMap(m, map[string]string{"username": "app-user", "password": "app-password"}) {
		t.Errorf("without Fetch = %q, %v; want only username and password", slices.Sorted(maps.Keys(m)), err)
	}
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "password", MetadataPolicy: esv1.MetadataPolicyFetch})
	if err != nil || string(got) != "app-password" {
		t.Errorf("remoteRef with Fetch = %q, %v; want the value, as ESO gives", got, err)
	}
}

// TestVersions reads a version by ID and by the aliases current and previous, also of a
// secret named by group and name (its ID learnt first).
func TestVersions(t *testing.T) {
	f := startIBM(t)
	id, first := f.Put("default", typeArbitrary, "rotated", map[string]any{"payload": "one"})
	f.Put("default", typeArbitrary, "rotated", map[string]any{"payload": "two"})
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()
	for _, tc := range []struct{ key, version, want string }{
		{id, first, "one"},
		{id, "previous", "one"},
		{id, "current", "two"},
		{"default/arbitrary/rotated", "previous", "one"},
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: tc.key, Version: tc.version})
		if err != nil || string(got) != tc.want {
			t.Errorf("%s version %s = %q, %v; want %q", tc.key, tc.version, got, err, tc.want)
		}
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id, Version: ibmfake.NewID()}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing version = %v; want ErrNotFound", err)
	}
}

// TestStatusErrors maps Secrets Manager's refusals: 404 is ErrNotFound (and drives
// deletionPolicy), 403 says which role to grant, 401 after a fresh token says to check the
// instance, and none quotes a secret value or the API key.
func TestStatusErrors(t *testing.T) {
	f := startIBM(t)
	id, _ := f.Put("default", typeArbitrary, "guarded", map[string]any{"payload": "guarded-value"})
	c := newClient(t, f, testProvider(f))
	ctx := context.Background()

	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ibmfake.NewID()})
	if !errors.Is(err, provider.ErrNotFound) || provider.HTTPStatus(err) != http.StatusNotFound {
		t.Errorf("a missing ID = %v; want ErrNotFound with the 404", err)
	}

	f.SetFault(func(w http.ResponseWriter, _ *http.Request) bool {
		ibmfake.SMError(w, http.StatusForbidden, "forbidden", "Forbidden")
		return true
	})
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if provider.HTTPStatus(err) != http.StatusForbidden || errors.Is(err, provider.ErrNotFound) ||
		!strings.Contains(err.Error(), "SecretsReader") || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("403 = %v; want the status, the service's message and the role to grant", err)
	}

	f.SetFault(func(w http.ResponseWriter, _ *http.Request) bool {
		ibmfake.SMError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized")
		return true
	})
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: id})
	if provider.HTTPStatus(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "serviceUrl") || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("401 = %v; want the status and a hint about serviceUrl", err)
	}
	for _, e := range []error{err} {
		if strings.Contains(e.Error(), "guarded-value") || strings.Contains(e.Error(), testAPIKey) || strings.Contains(e.Error(), "iam-access-token") {
			t.Errorf("error quotes a credential or value: %v", e)
		}
	}
}

// TestFailingServer runs the failing-server matrix twice: with Secrets Manager answering
// every request with one failure (IAM healthy), and with IAM doing so. Each fails Validate
// and reads, never as "not found" (but for a bare 404 from Secrets Manager), within the
// caller's deadline.
func TestFailingServer(t *testing.T) {
	f := startIBM(t)
	t.Run("secrets manager", func(t *testing.T) {
		// A 403 to the check proves the token and the instance: the reads report their own.
		conformance.RunFailingServers(t, conformance.FailingOptions{Forbidden403IsReady: true}, func(t *testing.T, srv *httptest.Server) provider.Client {
			store := ibmStore(f, apiKeyAuth(f)).(*esv1.SecretStore)
			store.Spec.Provider.IBM.ServiceURL = srv.URL
			return newStoreClient(t, store)
		})
	})
	t.Run("iam", func(t *testing.T) {
		conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
			store := ibmStore(f, apiKeyAuth(f)).(*esv1.SecretStore)
			store.Spec.Provider.IBM.Auth.SecretRef.IAMEndpoint = srv.URL
			return newStoreClient(t, store)
		})
	})
}

func newStoreClient(t *testing.T, store *esv1.SecretStore) provider.Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), store, kubeWith(testAPIKey), "apps")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
