package yandex

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func (f fixture) client(t *testing.T, p *Provider, store esv1.GenericStore) provider.Client {
	t.Helper()
	c, err := p.NewClient(context.Background(), store, f.kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestLockboxTextAndBinaryEntries: a property gives an entry's bytes, text or binary; the
// whole secret is the JSON object of the entries, binary ones as base64 strings (as ESO);
// extract gives every entry's bytes.
func TestLockboxTextAndBinaryEntries(t *testing.T) {
	f := newFixture(t)
	raw := []byte{0x00, 0xff, 0x10, '"'}
	f.PutSecret("e6qsecret1", testFolder, "db", text("user", "admin"), binary("keystore", raw))
	c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
	ctx := context.Background()
	for prop, want := range map[string]string{"user": "admin", "keystore": string(raw), "": `{"keystore":"AP8QIg==","user":"admin"}`} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1", Property: prop})
		if err != nil || string(got) != want {
			t.Errorf("GetSecret property %q = %q, %v; want %q", prop, got, err, want)
		}
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1"})
	if err != nil || len(m) != 2 || string(m["user"]) != "admin" || string(m["keystore"]) != string(raw) {
		t.Errorf("GetSecretMap = %q, %v", m, err)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1", Property: "password"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "it has keystore, user") {
		t.Errorf("a missing entry = %v, want an error naming the entries there are, not ErrNotFound", err)
	}
	if n := f.Calls("lockbox.Get"); n != 5 {
		t.Errorf("PayloadService.Get called %d times for 5 reads", n)
	}
}

// TestLockboxByNameReadsTheStoreFolder: the same name in two folders; the store's folder
// decides which secret a name reads, with GetEx and never Get.
func TestLockboxByNameReadsTheStoreFolder(t *testing.T) {
	f := newFixture(t)
	f.PutSecret("e6qours", testFolder, "db", text("password", "ours"))
	f.PutSecret("e6qtheirs", "b1gotherfolder", "db", text("password", "theirs"))
	c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(testFolder))
	got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "password"})
	if err != nil || string(got) != "ours" {
		t.Fatalf("GetSecret by name = %q, %v; want the store folder's", got, err)
	}
	_, err = c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "e6qours"})
	if !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("an ID read by name = %v, want ErrNotFound (no secret has that name)", err)
	}
	if f.Calls("lockbox.GetEx") != 2 || f.Calls("lockbox.Get") != 0 {
		t.Errorf("calls: GetEx %d, Get %d; want 2 and 0", f.Calls("lockbox.GetEx"), f.Calls("lockbox.Get"))
	}
}

// TestIAMTokenSharedPerKeyAndRefreshed: clients of two stores with one authorized key get
// one IAM token; it is replaced after an hour (Yandex's advice, though it lives 12), not
// before, or after two thirds of a shorter life IAM gives; another key gets its own.
func TestIAMTokenSharedPerKeyAndRefreshed(t *testing.T) {
	f := newFixture(t)
	f.PutSecret("e6qsecret1", testFolder, "db", text("user", "admin"))
	p := NewLockbox(WithClock(f.Now))
	read := func(c provider.Client) {
		t.Helper()
		if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1", Property: "user"}); err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
	}
	first, second := f.client(t, p, f.lockboxStore("")), f.client(t, p, f.lockboxStore(""))
	for _, step := range []struct {
		advance, tokenTTL time.Duration // tokenTTL, when set, is the life of the tokens IAM gives from this step on
		logins            int
		what              string
	}{
		{0, 0, 1, "two clients of one key"},
		{59 * time.Minute, 0, 1, "a token 59 minutes old"},
		{2 * time.Minute, 0, 2, "a token an hour old"},
		{61 * time.Minute, 15 * time.Minute, 3, "a token an hour old, replaced by one of 15 minutes"},
		{9 * time.Minute, 0, 3, "a 15-minute token 9 minutes old"},
		{2 * time.Minute, 0, 4, "a 15-minute token 11 minutes old"},
	} {
		f.Advance(step.advance)
		if step.tokenTTL != 0 {
			f.SetTokenTTL(step.tokenTTL)
		}
		read(first)
		read(second)
		if n := f.Logins(); n != step.logins {
			t.Fatalf("%s: %d logins in all, want %d", step.what, n, step.logins)
		}
	}
	if n := f.Calls("endpoint.Get"); n != 6 {
		t.Errorf("the API endpoint service was asked %d times, want 6 (Lockbox per client, IAM per login)", n)
	}

	other := f.newKey(t, "ajekey2", testServiceAccount)
	setSecret(t, f, "yc-auth-2", "authorized-key", other)
	s := f.lockboxStore("").(*esv1.SecretStore)
	s.Spec.Provider.YandexLockbox.Auth.AuthorizedKeySecretRef.Name = "yc-auth-2"
	read(f.client(t, p, s))
	if n := f.Logins(); n != 5 {
		t.Errorf("a second key did not log in on its own: %d logins, want 5", n)
	}
}

// TestRevokedTokenIsReplacedOnce: Lockbox answers UNAUTHENTICATED for a token IAM no
// longer knows; the client logs in again and repeats the read once.
func TestRevokedTokenIsReplacedOnce(t *testing.T) {
	f := newFixture(t)
	f.PutSecret("e6qsecret1", testFolder, "db", text("user", "admin"))
	c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
	ref := esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1", Property: "user"}
	if _, err := c.GetSecret(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	f.RevokeTokens()
	f.Advance(time.Minute)
	got, err := c.GetSecret(context.Background(), ref)
	if err != nil || string(got) != "admin" {
		t.Fatalf("GetSecret after the token was revoked = %q, %v", got, err)
	}
	if f.Logins() != 2 || f.Calls("lockbox.Get") != 3 {
		t.Errorf("logins %d, Lockbox calls %d; want 2 and 3", f.Logins(), f.Calls("lockbox.Get"))
	}
}

// TestServiceErrors: each code Yandex answers gives the error a user can act on, and only
// a service's NOT_FOUND is "not found".
func TestServiceErrors(t *testing.T) {
	f := newFixture(t)
	f.PutSecret("e6qsecret1", testFolder, "db", text("user", "admin"))
	f.SetSecretReaders("e6qsecret1", "ajesomeoneelse")
	ctx := context.Background()
	c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))

	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "PermissionDenied") ||
		!strings.Contains(err.Error(), "lockbox.payloadViewer") {
		t.Errorf("PERMISSION_DENIED = %v, want the role to grant, not ErrNotFound", err)
	}
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qmissing"})
	if !errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), `"e6qmissing"`) {
		t.Errorf("NOT_FOUND = %v, want ErrNotFound naming the key", err)
	}

	// A key IAM does not know: IAM's UNAUTHENTICATED, never "not found".
	unknown := f.newKey(t, "ajeunknown", testServiceAccount)
	f.ForgetKey("ajeunknown")
	setSecret(t, f, "yc-auth", "authorized-key", unknown)
	c = f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
	_, err = c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qmissing"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "IAM did not accept the authorized key") ||
		!strings.Contains(err.Error(), "ajeunknown") {
		t.Errorf("an unknown key = %v, want IAM's refusal naming the key ID", err)
	}
	if res, err := c.Validate(ctx); res != esv1.ValidationResultError || err == nil {
		t.Errorf("Validate with an unknown key = %v, %v", res, err)
	}
	if f.Calls("lockbox.Get") != 2 {
		t.Errorf("Lockbox was called %d times, want 2: no read without a token", f.Calls("lockbox.Get"))
	}
}

// TestJWTSignedWithAnotherKeyIsRefused: a file whose private key is not the one IAM holds
// for its ID is refused by IAM's signature check.
func TestJWTSignedWithAnotherKeyIsRefused(t *testing.T) {
	f := newFixture(t)
	impostor := f.newKey(t, "ajeimpostor", testServiceAccount) // a valid file, but...
	f.newKey(t, "ajeimpostor", testServiceAccount)             // ...IAM now holds another public key for its ID
	setSecret(t, f, "yc-auth", "authorized-key", impostor)
	c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
	res, err := c.Validate(context.Background())
	if res != esv1.ValidationResultError || err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("Validate = %v, %v; want IAM's UNAUTHENTICATED", res, err)
	}
}

// TestTLSNeedsTheStoreCA: without caProvider the test CA is not trusted and nothing is
// sent; the error is not "not found".
func TestTLSNeedsTheStoreCA(t *testing.T) {
	f := newFixture(t)
	s := f.lockboxStore("").(*esv1.SecretStore)
	s.Spec.Provider.YandexLockbox.CAProvider = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := f.client(t, NewLockbox(WithClock(f.Now)), s).GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GetSecret with an untrusted server = %v, want a certificate error", err)
	}
	if n := f.Calls("endpoint.Get"); n != 0 {
		t.Errorf("the endpoint service answered %d calls over an untrusted connection", n)
	}
}

// TestFailingServices: when IAM or Lockbox answer UNAVAILABLE, INTERNAL or
// RESOURCE_EXHAUSTED, or never answer, Validate fails and reads fail without being "not
// found" (which would delete target Secrets), within the caller's deadline.
func TestFailingServices(t *testing.T) {
	for _, tt := range []struct {
		name    string
		failing error
		hanging bool
		iamOK   bool // IAM answers; only Lockbox fails
	}{
		{"IAM unavailable", status.Error(codes.Unavailable, "try later"), false, false},
		{"IAM internal", status.Error(codes.Internal, "oops"), false, false},
		{"Lockbox rate limited", status.Error(codes.ResourceExhausted, "quota"), false, true},
		{"Lockbox internal", status.Error(codes.Internal, "oops"), false, true},
		{"hanging", nil, true, false},
		{"not gRPC", nil, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.PutSecret("e6qsecret1", testFolder, "db", text("user", "admin"))
			c := f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if tt.iamOK {
				if _, err := c.Validate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			f.SetFailure(tt.failing, tt.hanging)
			if tt.name == "not gRPC" {
				// A proxy answering HTTP/1.1 with a page, where Lockbox should be.
				page := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					_, _ = w.Write([]byte("<html>a proxy</html>"))
				}))
				page.TLS = &tls.Config{Certificates: []tls.Certificate{f.ServerCert}, MinVersion: tls.VersionTLS12}
				page.StartTLS()
				t.Cleanup(page.Close)
				f.SetAddress("lockbox-payload", page.Listener.Addr().String())
				c = f.client(t, NewLockbox(WithClock(f.Now)), f.lockboxStore(""))
			}
			if _, err := c.Validate(ctx); err == nil && !tt.iamOK {
				t.Error("Validate succeeded")
			}
			_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "e6qsecret1"})
			if err == nil || errors.Is(err, provider.ErrNotFound) {
				t.Errorf("GetSecret = %v, want an error that is not ErrNotFound", err)
			} else if tt.name == "not gRPC" && !strings.Contains(err.Error(), "did not answer gRPC over TLS") {
				t.Errorf("GetSecret from a page = %v, want what to check", err)
			}
			if ctx.Err() != nil && !tt.hanging {
				t.Errorf("the read outlived its deadline")
			}
		})
	}
}
