package oracle

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
)

// metadataService names the in-process instance metadata service among fakeOCI's servers.
const metadataService = "imds"

const fakeInstanceTenancy = "ocid1.tenancy.oc1..instancetenancy"

// fakeInstance is a compute instance's identity as OCI issues it: a leaf certificate whose
// subject names the instance and its tenancy (opc-instance:, opc-tenant:), signed by an
// intermediate CA, and the leaf's key.
type fakeInstance struct {
	leaf, intermediate *x509.Certificate
	key                *rsa.PrivateKey
	// region is what the metadata service answers for instance/region.
	region string
}

var (
	instanceOnce sync.Once
	instanceKeys [2]*rsa.PrivateKey
)

func newFakeInstance(t *testing.T) *fakeInstance {
	t.Helper()
	instanceOnce.Do(func() {
		for i := range instanceKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			instanceKeys[i] = k
		}
	})
	caKey, leafKey := instanceKeys[0], instanceKeys[1]
	now := time.Now()
	caTemplate := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "PKISVC Identity Intermediate r2"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafTemplate := &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "ocid1.instance.oc1.iad.fakeinstance",
			OrganizationalUnit: []string{"opc-certtype:instance", "opc-compartment:" + fakeCompartment, "opc-instance:ocid1.instance.oc1.iad.fakeinstance", "opc-tenant:" + fakeInstanceTenancy}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	return &fakeInstance{leaf: leaf, intermediate: ca, key: leafKey, region: "us-ashburn-1"}
}

// keyID is the keyId OCI expects on the instance's federation request.
func (i *fakeInstance) keyID() string {
	return fakeInstanceTenancy + "/fed-x509-sha256/" + fingerprint(i.leaf)
}

// metadata serves the instance metadata service, version 2: it answers only requests
// carrying "Authorization: Bearer Oracle", as OCI's does, with 401 otherwise.
func (f *fakeOCI) metadata(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls["imds"]++
	inst := f.instance
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer Oracle" {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	certPEM := func(c *x509.Certificate) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	switch r.URL.Path {
	case "/opc/v2/instance/region":
		fmt.Fprint(w, inst.region)
	case "/opc/v2/instance/canonicalRegionName":
		fmt.Fprint(w, "us-ashburn-1")
	case "/opc/v2/identity/cert.pem":
		fmt.Fprint(w, certPEM(inst.leaf))
	case "/opc/v2/identity/intermediate.pem":
		fmt.Fprint(w, certPEM(inst.intermediate))
	case "/opc/v2/identity/key.pem":
		_, _ = w.Write(pkcs1PEM(inst.key))
	default:
		http.NotFound(w, r)
	}
}

// federateX509 is the auth service's POST /v1/x509. Its caller has passed the signature
// check with the key of its keyId; it also checks what OCI checks of the request: the keyId
// is the fed-x509-sha256 one of the certificate sent, the certificate was issued by the
// intermediate sent and that intermediate is the one OCI issued. It answers {"token"}, a
// JWT whose keyId "ST$<token>" then signs with the session key sent.
func (f *fakeOCI) federateX509(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/x509" {
		notFound(w)
		return
	}
	var req struct {
		Certificate              string   `json:"certificate"`
		PublicKey                string   `json:"publicKey"`
		IntermediateCertificates []string `json:"intermediateCertificates"`
		FingerprintAlgorithm     string   `json:"fingerprintAlgorithm"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "The request body is not JSON.")
		return
	}
	der := func(b64 string) *x509.Certificate {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil
		}
		c, _ := x509.ParseCertificate(raw)
		return c
	}
	f.mu.Lock()
	f.calls["x509"]++
	inst, now, ttl := f.instance, f.now(), f.tokenTTL
	f.mu.Unlock()
	refuse := func(why string) {
		ociError(w, http.StatusUnauthorized, "NotAuthenticated", "Failed to authenticate the instance. ("+why+")")
	}
	leaf := der(req.Certificate)
	keyID := signatureParam.FindAllStringSubmatch(r.Header.Get("Authorization"), -1)
	var signedAs string
	for _, m := range keyID {
		if m[1] == "keyId" {
			signedAs = m[2]
		}
	}
	switch {
	case leaf == nil:
		ociError(w, http.StatusBadRequest, "InvalidParameter", "certificate is not a base64 DER certificate.")
		return
	case req.FingerprintAlgorithm != "SHA256":
		refuse("fingerprintAlgorithm must be SHA256 for a fed-x509-sha256 keyId")
		return
	case signedAs != tenancyOf(leaf)+"/fed-x509-sha256/"+fingerprint(leaf):
		refuse("the keyId is not the certificate's")
		return
	case len(req.IntermediateCertificates) != 1 || der(req.IntermediateCertificates[0]) == nil ||
		!der(req.IntermediateCertificates[0]).Equal(inst.intermediate) || leaf.CheckSignatureFrom(inst.intermediate) != nil:
		refuse("the certificate does not chain to OCI's intermediate")
		return
	}
	rawKey, err := base64.StdEncoding.DecodeString(req.PublicKey)
	var session *rsa.PublicKey
	if err == nil {
		k, _ := x509.ParsePKIXPublicKey(rawKey)
		session, _ = k.(*rsa.PublicKey)
	}
	if session == nil {
		ociError(w, http.StatusBadRequest, "InvalidParameter", "publicKey is not a base64 PKIX RSA public key.")
		return
	}
	token := f.issueToken(session, now, ttl, map[string]any{"sub": leaf.Subject.CommonName, "tenant": tenancyOf(leaf), "ptype": "instance"})
	writeJSON(w, map[string]string{"token": token})
}

// issueToken mints a security token (a JWT with iat and exp) that OCI then accepts, as
// keyId "ST$<token>", with the session key until its exp.
func (f *fakeOCI) issueToken(session *rsa.PublicKey, now time.Time, ttl time.Duration, claims map[string]any) string {
	exp := now.Add(ttl).Truncate(time.Second)
	claims["iat"], claims["exp"] = now.Truncate(time.Second).Unix(), exp.Unix()
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims)
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	token := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + "." + enc(nonce)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys["ST$"+token] = session
	f.tokens[token] = exp
	return token
}

// testClock is a clock that moves only when advanced.
func testClock() (now func() time.Time, advance func(time.Duration)) {
	var mu sync.Mutex
	clock := time.Now()
	return func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}, func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(d)
		}
}

// instanceStore is a store that authenticates as the instance principal.
func instanceStore() esv1.GenericStore {
	return oracleStore(esv1.OracleProvider{Region: "us-ashburn-1", Vault: fakeVault, Compartment: fakeCompartment,
		EncryptionKey: fakeKey, PrincipalType: "InstancePrincipal"})
}

// instanceProvider returns a provider whose instance metadata service and auth service are
// f's.
func instanceProvider(f *fakeOCI) *Provider {
	p := newProvider(f)
	p.metadata = func() string { return f.servers[metadataService].URL + "/opc/v2" }
	return p
}

// TestInstancePrincipal: a store with principalType InstancePrincipal reads the instance's
// identity from the metadata service, obtains a security token from the auth service and
// reads and validates with it; later reads and other stores reuse the token.
func TestInstancePrincipal(t *testing.T) {
	f := startOCI(t)
	f.put("db", []byte(`{"password":"pw-7d1e"}`), nil)
	p := instanceProvider(f)
	store, kube := userStore(nil)
	for _, s := range []esv1.GenericStore{instanceStore(), store} {
		if s == store {
			// auth unset: ESO authenticates as the instance whatever the principal type.
			s.GetSpec().Provider.Oracle.Auth = nil
		}
		c, err := p.NewClient(context.Background(), s, kube, "apps")
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		got, err := get(c, "db", "", "password")
		if err != nil || string(got) != "pw-7d1e" {
			t.Fatalf("GetSecret = %q, %v; want pw-7d1e", got, err)
		}
		if res, err := c.Validate(context.Background()); res != esv1.ValidationResultReady || err != nil {
			t.Errorf("Validate = %v, %v; want Ready", res, err)
		}
	}
	if f.count("x509") != 1 || f.count("imds") != 4 || f.count("bundle") != 2 || f.refusals() != 0 {
		t.Errorf("federations %d, metadata reads %d, reads %d, refusals %d; want 1, 4 (region, certificate, key, intermediate), 2, 0",
			f.count("x509"), f.count("imds"), f.count("bundle"), f.refusals())
	}
	f.mu.Lock()
	for token := range f.tokens {
		if msg := redact.New().String("echo: " + token); strings.Contains(msg, token) {
			t.Errorf("a message quoting the security token is not redacted: %q", msg)
		}
	}
	f.mu.Unlock()
}

// TestInstancePrincipalRenewsToken: the security token is replaced five minutes before its
// exp, with a new federation; a token past its exp is refused by OCI, so an old one must
// never be sent.
func TestInstancePrincipalRenewsToken(t *testing.T) {
	f := startOCI(t)
	f.put("db", []byte("v1"), nil)
	now, advance := testClock()
	f.now = now
	p := instanceProvider(f)
	p.now = now
	c, err := p.NewClient(context.Background(), instanceStore(), nil, "apps")
	if err != nil {
		t.Fatal(err)
	}
	read := func(when string, federations int) {
		t.Helper()
		if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
			t.Errorf("%s: GetSecret = %q, %v", when, got, err)
		}
		if f.count("x509") != federations {
			t.Errorf("%s: %d federations, want %d", when, f.count("x509"), federations)
		}
	}
	read("first read", 1)
	advance(14 * time.Minute)
	read("6 minutes before the token's exp", 1)
	advance(2 * time.Minute)
	read("4 minutes before the token's exp", 2)
	advance(21 * time.Minute)
	read("after the second token's exp", 3)
	if f.refusals() != 0 {
		t.Errorf("OCI refused %d requests, want none: an expired token was sent", f.refusals())
	}
}

// TestRevokedTokenRenewed: a security token OCI refuses before its exp (revoked) fails
// that call with what to check, and the next call federates again instead of sending the
// refused token until its exp.
func TestRevokedTokenRenewed(t *testing.T) {
	f := startOCI(t)
	f.put("db", []byte("v1"), nil)
	c, err := instanceProvider(f).NewClient(context.Background(), instanceStore(), nil, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(c, "db", "", ""); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	for token := range f.tokens {
		delete(f.tokens, token)
	}
	f.mu.Unlock()
	_, err = get(c, "db", "", "")
	if err == nil || !strings.Contains(err.Error(), "the instance's security token was not accepted") || strings.Contains(err.Error(), "auth.user") {
		t.Errorf("GetSecret with a revoked token = %v, want the instance principal's hint", err)
	}
	if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
		t.Errorf("GetSecret after the refusal = %q, %v; want v1 with a new token", got, err)
	}
	if f.count("x509") != 2 || f.refusals() != 1 {
		t.Errorf("federations %d, refusals %d; want 2, 1", f.count("x509"), f.refusals())
	}
}

// TestInstancePrincipalFailures: where the metadata service cannot be reached (not an OCI
// instance) or the auth service refuses the instance's certificate, reads and Validate fail
// with what to check, and no key, certificate or token is quoted.
func TestInstancePrincipalFailures(t *testing.T) {
	t.Run("no metadata service", func(t *testing.T) {
		f := startOCI(t)
		p := instanceProvider(f)
		f.servers[metadataService].Close()
		c, err := p.NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Validate(context.Background())
		if res != esv1.ValidationResultError || err == nil || !strings.Contains(err.Error(), "/opc/v2/instance/region") ||
			!strings.Contains(err.Error(), "InstancePrincipal works only on an OCI compute instance") {
			t.Errorf("Validate = %v, %v; want an error naming the metadata service and what InstancePrincipal needs", res, err)
		}
		if f.count("vault") != 0 {
			t.Errorf("%d unsigned vault reads reached OCI, want 0", f.count("vault"))
		}
	})
	t.Run("certificate refused", func(t *testing.T) {
		f := startOCI(t)
		f.put("db", []byte("v1"), nil)
		// OCI does not know this key for the instance's certificate: the signature of the
		// federation request does not verify.
		f.keys[f.instance.keyID()] = &apiKey(t, 1).PublicKey
		p := instanceProvider(f)
		c, err := p.NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(c, "db", "", "")
		if err == nil || !strings.Contains(err.Error(), "OCI's auth service refused the instance's certificate of tenancy "+fakeInstanceTenancy) ||
			!strings.Contains(err.Error(), "HTTP 401") {
			t.Fatalf("GetSecret = %v, want the auth service's refusal", err)
		}
		for _, leak := range []string{"BEGIN", base64.StdEncoding.EncodeToString(f.instance.leaf.Raw[:30])} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("the error quotes %q: %v", leak, err)
			}
		}
		if f.count("bundle") != 0 || f.refusals() != 1 {
			t.Errorf("reads %d, refusals %d; want the federation refused and no read", f.count("bundle"), f.refusals())
		}
	})
	t.Run("auth service not found", func(t *testing.T) {
		// A 404 of the auth service (a wrong endpoint) is not the secret's "not found",
		// which would delete the target Secret under deletionPolicy Delete.
		f := startOCI(t)
		p := instanceProvider(f)
		p.endpoint = func(service, region string) string {
			if service == authService {
				return f.servers[secretsService].URL + "/nowhere"
			}
			return f.endpoint(service, region)
		}
		c, err := p.NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(c, "db", "", "")
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "HTTP 404") {
			t.Errorf("GetSecret = %v, want the auth service's 404 as an error that is not \"not found\"", err)
		}
		res, err := c.Validate(context.Background())
		if res != esv1.ValidationResultError || err == nil || strings.Contains(err.Error(), "OCI refused the request signature") {
			t.Errorf("Validate = %v, %v; want an error that is not taken for the Key Management service's answer", res, err)
		}
	})
	t.Run("region key", func(t *testing.T) {
		// In OCI's older regions the metadata service's region is a key (iad); the
		// canonical name gives the identifier.
		f := startOCI(t)
		f.put("db", []byte("v1"), nil)
		f.instance.region = "iad"
		c, err := instanceProvider(f).NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
			t.Errorf("GetSecret = %q, %v", got, err)
		}
		if f.count("imds") != 5 {
			t.Errorf("%d metadata reads, want 5 (region, canonicalRegionName, certificate, key, intermediate)", f.count("imds"))
		}
	})
}

// TestTokenExpiry: the exp claim of a security token is read; a token without one, or not
// a JWT, is refused rather than kept forever.
func TestTokenExpiry(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, tt := range []struct {
		token string
		want  time.Time
		err   string
	}{
		{"h." + enc([]byte(`{"exp":1796000000}`)) + ".s", time.Unix(1796000000, 0), ""},
		{"h." + enc([]byte(`{"iat":1}`)) + ".s", time.Time{}, "no exp claim"},
		{"opaque", time.Time{}, "not a JWT"},
		{"h.!!.s", time.Time{}, "not base64url"},
	} {
		got, err := tokenExpiry(tt.token)
		if !got.Equal(tt.want) || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("tokenExpiry(%q) = %v, %v; want %v, %q", tt.token, got, err, tt.want, tt.err)
		}
	}
}
