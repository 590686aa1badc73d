package oracle

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
	"github.com/ferryhq/ferry/internal/redact"
)

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
func instanceProvider(f *oraclefake.Server) *Provider {
	p := newProvider(f)
	p.metadata = func() string { return f.Servers[metadataService].URL + "/opc/v2" }
	return p
}

// TestInstancePrincipal: a store with principalType InstancePrincipal reads the instance's
// identity from the metadata service, obtains a security token from the auth service and
// reads and validates with it; later reads and other stores reuse the token.
func TestInstancePrincipal(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte(`{"password":"pw-7d1e"}`), nil)
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
	if f.Count("x509") != 1 || f.Count("imds") != 4 || f.Count("bundle") != 2 || f.Refusals() != 0 {
		t.Errorf("federations %d, metadata reads %d, reads %d, refusals %d; want 1, 4 (region, certificate, key, intermediate), 2, 0",
			f.Count("x509"), f.Count("imds"), f.Count("bundle"), f.Refusals())
	}
	for token := range f.Tokens() {
		if msg := redact.New().String("echo: " + token); strings.Contains(msg, token) {
			t.Errorf("a message quoting the security token is not redacted: %q", msg)
		}
	}
}

// TestInstancePrincipalRenewsToken: the security token is replaced five minutes before its
// exp, with a new federation; a token past its exp is refused by OCI, so an old one must
// never be sent.
func TestInstancePrincipalRenewsToken(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte("v1"), nil)
	now, advance := testClock()
	f.SetClock(now)
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
		if f.Count("x509") != federations {
			t.Errorf("%s: %d federations, want %d", when, f.Count("x509"), federations)
		}
	}
	read("first read", 1)
	advance(14 * time.Minute)
	read("6 minutes before the token's exp", 1)
	advance(2 * time.Minute)
	read("4 minutes before the token's exp", 2)
	advance(21 * time.Minute)
	read("after the second token's exp", 3)
	if f.Refusals() != 0 {
		t.Errorf("OCI refused %d requests, want none: an expired token was sent", f.Refusals())
	}
}

// TestRevokedTokenRenewed: a security token OCI refuses before its exp (revoked) fails
// that call with what to check, and the next call federates again instead of sending the
// refused token until its exp.
func TestRevokedTokenRenewed(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte("v1"), nil)
	c, err := instanceProvider(f).NewClient(context.Background(), instanceStore(), nil, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(c, "db", "", ""); err != nil {
		t.Fatal(err)
	}
	f.DropTokens()
	_, err = get(c, "db", "", "")
	if err == nil || !strings.Contains(err.Error(), "the instance's security token was not accepted") || strings.Contains(err.Error(), "auth.user") {
		t.Errorf("GetSecret with a revoked token = %v, want the instance principal's hint", err)
	}
	if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
		t.Errorf("GetSecret after the refusal = %q, %v; want v1 with a new token", got, err)
	}
	if f.Count("x509") != 2 || f.Refusals() != 1 {
		t.Errorf("federations %d, refusals %d; want 2, 1", f.Count("x509"), f.Refusals())
	}
}

// TestInstancePrincipalFailures: where the metadata service cannot be reached (not an OCI
// instance) or the auth service refuses the instance's certificate, reads and Validate fail
// with what to check, and no key, certificate or token is quoted.
func TestInstancePrincipalFailures(t *testing.T) {
	t.Run("no metadata service", func(t *testing.T) {
		f := startOCI(t)
		p := instanceProvider(f)
		f.Servers[metadataService].Close()
		c, err := p.NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Validate(context.Background())
		if res != esv1.ValidationResultError || err == nil || !strings.Contains(err.Error(), "/opc/v2/instance/region") ||
			!strings.Contains(err.Error(), "InstancePrincipal works only on an OCI compute instance") {
			t.Errorf("Validate = %v, %v; want an error naming the metadata service and what InstancePrincipal needs", res, err)
		}
		if f.Count("vault") != 0 {
			t.Errorf("%d unsigned vault reads reached OCI, want 0", f.Count("vault"))
		}
	})
	t.Run("certificate refused", func(t *testing.T) {
		f := startOCI(t)
		f.Put("db", []byte("v1"), nil)
		// OCI does not know this key for the instance's certificate: the signature of the
		// federation request does not verify.
		_, _, instanceKeyID := f.Instance()
		f.AddKey(instanceKeyID, &apiKey(t, 1).PublicKey)
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
		for _, leak := range []string{"BEGIN", base64.StdEncoding.EncodeToString(instanceLeaf(f).Raw[:30])} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("the error quotes %q: %v", leak, err)
			}
		}
		if f.Count("bundle") != 0 || f.Refusals() != 1 {
			t.Errorf("reads %d, refusals %d; want the federation refused and no read", f.Count("bundle"), f.Refusals())
		}
	})
	t.Run("auth service not found", func(t *testing.T) {
		// A 404 of the auth service (a wrong endpoint) is not the secret's "not found",
		// which would delete the target Secret under deletionPolicy Delete.
		f := startOCI(t)
		p := instanceProvider(f)
		p.endpoint = func(service, region string) string {
			if service == authService {
				return f.Servers[secretsService].URL + "/nowhere"
			}
			return f.Endpoint(service, region)
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
		f.Put("db", []byte("v1"), nil)
		f.SetInstanceRegion("iad")
		c, err := instanceProvider(f).NewClient(context.Background(), instanceStore(), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
			t.Errorf("GetSecret = %q, %v", got, err)
		}
		if f.Count("imds") != 5 {
			t.Errorf("%d metadata reads, want 5 (region, canonicalRegionName, certificate, key, intermediate)", f.Count("imds"))
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
