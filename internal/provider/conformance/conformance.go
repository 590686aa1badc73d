package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Secret is what the suite writes to a backend: string pairs, which backends of plain
// values store as one JSON object, and tags (labels, custom metadata) where the backend
// has them.
type Secret struct {
	Data map[string]string
	Tags map[string]string
}

// FindSupport says how far a provider implements dataFrom.find.
type FindSupport int

// Levels of dataFrom.find support.
const (
	// FindNone: GetAllSecrets must fail with provider.ErrFindNotSupported.
	FindNone FindSupport = iota
	// FindByName: find.name.regexp selects secrets.
	FindByName
	// FindByNameAndTags: find.tags selects secrets too.
	FindByNameAndTags
	// FindOwn: find selects something other than whole remote secrets by name (1Password:
	// the fields of items), as ESO defines it; the provider's own tests cover it.
	FindOwn
)

// Backend is one provider against its real backend, as its test sets it up.
type Backend struct {
	// Provider under test.
	Provider provider.Provider
	// Kube is the client NewClient gets, to read the store's auth Secrets.
	Kube client.Client
	// Namespace is the namespace the clients act for.
	Namespace string
	// Store returns a store of the provider configured against the backend. It is called
	// once per check, after the check has seeded what it reads, so each check has its own
	// client.
	Store func(t *testing.T) esv1.GenericStore
	// Seed writes secret under key and returns the version it created ("" when the backend
	// keeps no versions). A second Seed of the same key writes a new version.
	Seed func(t *testing.T, key string, secret Secret) (version string)
	// Delete removes key, so that reading it is "not found" (for KV v2 and Secrets
	// Manager: a soft delete). Nil skips the check.
	Delete func(t *testing.T, key string)
	// KeyPrefix is put in front of every key the suite makes, e.g. to keep tests sharing a
	// backend apart.
	KeyPrefix string
	// Versions says that Seed versions and remoteRef.version reads them.
	Versions bool
	// Find says how far dataFrom.find is supported.
	Find FindSupport
	// Whole, when set, is what GetSecret without a property returns for a seeded secret, for
	// backends where ESO defines it as one part of it (1Password: the "password" field);
	// nil means the JSON object of its pairs.
	Whole func(s Secret) string
	// Logins counts, at the backend, the logins or credential exchanges made so far; nil
	// when the backend's authentication cannot be counted.
	Logins func() int
	// Fields, when set, are the only properties the backend's secrets have (Passbolt: name,
	// username, uri, password, description; "password" must be one of them): the suite's
	// secrets are made of these fields, one value each, instead of its own pairs.
	Fields []string
	// RemoteKey, when set, gives the remoteRef.key of what Seed wrote under key (Passbolt:
	// the resource ID the server gave it), and for a key never seeded one that names
	// nothing. Nil reads key itself.
	RemoteKey func(key string) string
}

// Run runs every check of the suite against b, each as a subtest.
func Run(t *testing.T, b Backend) {
	t.Helper()
	checks := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"GetWholeValue", testGetWholeValue},
		{"GetProperty", testGetProperty},
		{"GetVersion", testGetVersion},
		{"Extract", testExtract},
		{"Find", testFind},
		{"NotFound", testNotFound},
		{"NoValueInErrors", testNoValueInErrors},
		{"ConcurrentUse", testConcurrentUse},
		{"CredentialsReused", testCredentialsReused},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, b) })
	}
}

func (b Backend) client(t *testing.T) provider.Client {
	t.Helper()
	c, err := b.Provider.NewClient(ctx(t), b.Store(t), b.Kube, b.Namespace)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// key makes a key no other check or run uses: lower-case letters, digits and dashes, which
// every backend accepts as a name.
func (b Backend) key(name string) string {
	var raw [4]byte
	_, _ = rand.Read(raw[:])
	return b.KeyPrefix + "conf-" + hex.EncodeToString(raw[:]) + "-" + name
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// secretValue makes a value that must never appear in an error.
func secretValue() string {
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	return "s3cr3t-" + hex.EncodeToString(raw[:])
}

func (b Backend) sample() Secret {
	if len(b.Fields) > 0 {
		return b.filled("")
	}
	return Secret{Data: map[string]string{"user": "admin", "password": secretValue(), "port": "5432"}}
}

// filled is a secret of the backend's Fields: each holds value, or when value is empty its
// own (the password a secret value).
func (b Backend) filled(value string) Secret {
	s := Secret{Data: map[string]string{}}
	for _, f := range b.Fields {
		switch {
		case value != "":
			s.Data[f] = value
		case f == "password":
			s.Data[f] = secretValue()
		default:
			s.Data[f] = "value-of-" + f
		}
	}
	return s
}

// remote is the remoteRef.key the suite reads key under.
func (b Backend) remote(key string) string {
	if b.RemoteKey == nil {
		return key
	}
	return b.RemoteKey(key)
}

// sameObject reports whether got is a JSON object holding exactly want.
func sameObject(got []byte, want map[string]string) bool {
	var obj map[string]string
	if err := json.Unmarshal(got, &obj); err != nil {
		return false
	}
	return maps.Equal(obj, want)
}

func asStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func testGetWholeValue(t *testing.T, b Backend) {
	key, s := b.key("whole"), b.sample()
	b.Seed(t, key, s)
	got, err := b.client(t).GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)})
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if b.Whole != nil {
		if string(got) != b.Whole(s) {
			t.Errorf("GetSecret without property gave %d bytes, not what the backend defines as the whole value", len(got))
		}
		return
	}
	if !sameObject(got, s.Data) {
		t.Errorf("GetSecret without property is not the JSON object of the secret's pairs: %d bytes", len(got))
	}
}

func testGetProperty(t *testing.T, b Backend) {
	key, s := b.key("prop"), b.sample()
	b.Seed(t, key, s)
	c := b.client(t)
	for _, p := range slices.Sorted(maps.Keys(s.Data)) {
		got, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: p})
		if err != nil {
			t.Fatalf("GetSecret property %q: %v", p, err)
		}
		if string(got) != s.Data[p] {
			t.Errorf("GetSecret property %q: got %d bytes, not the seeded value", p, len(got))
		}
	}
	_, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "no-such-property"})
	if err == nil {
		t.Fatal("a missing property gave no error")
	}
	if errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing property is ErrNotFound, which would delete the target Secret: %v", err)
	}
}

func testGetVersion(t *testing.T, b Backend) {
	if !b.Versions {
		t.Skip("the backend keeps no versions")
	}
	key := b.key("versions")
	first := Secret{Data: map[string]string{"v": "one"}}
	second := Secret{Data: map[string]string{"v": "two"}}
	v1 := b.Seed(t, key, first)
	v2 := b.Seed(t, key, second)
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("Seed returned versions %q and %q", v1, v2)
	}
	c := b.client(t)
	for _, tt := range []struct{ version, want string }{{"", "two"}, {v1, "one"}, {v2, "two"}} {
		got, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "v", Version: tt.version})
		if err != nil {
			t.Fatalf("GetSecret version %q: %v", tt.version, err)
		}
		if string(got) != tt.want {
			t.Errorf("GetSecret version %q = %q, want %q", tt.version, got, tt.want)
		}
	}
	m, err := c.GetSecretMap(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Version: v1})
	if err != nil {
		t.Fatalf("GetSecretMap version %q: %v", v1, err)
	}
	if !maps.Equal(asStrings(m), first.Data) {
		t.Errorf("GetSecretMap version %q = %v, want %v", v1, asStrings(m), first.Data)
	}
}

func testExtract(t *testing.T, b Backend) {
	key, s := b.key("extract"), b.sample()
	b.Seed(t, key, s)
	got, err := b.client(t).GetSecretMap(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)})
	if err != nil {
		t.Fatalf("GetSecretMap: %v", err)
	}
	if !maps.Equal(asStrings(got), s.Data) {
		t.Errorf("GetSecretMap gave keys %v, want the seeded pairs", keys(got))
	}
}

func testFind(t *testing.T, b Backend) {
	if b.Find == FindOwn {
		t.Skip("find selects what this backend defines; the provider's own tests cover it")
	}
	if b.Find == FindNone {
		_, err := b.client(t).GetAllSecrets(ctx(t), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: ".*"}})
		if !errors.Is(err, provider.ErrFindNotSupported) {
			t.Errorf("GetAllSecrets = %v, want ErrFindNotSupported", err)
		}
		return
	}
	group := b.key("find")
	a, bb, other := group+"-a", group+"-b", b.key("other")
	team := secretValue()[7:]
	sa := Secret{Data: map[string]string{"n": "a"}, Tags: map[string]string{"team": team}}
	sb := Secret{Data: map[string]string{"n": "b"}}
	so := Secret{Data: map[string]string{"n": "o"}, Tags: map[string]string{"team": team}}
	b.Seed(t, a, sa)
	b.Seed(t, bb, sb)
	b.Seed(t, other, so)
	c := b.client(t)

	byName, err := c.GetAllSecrets(ctx(t), esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^" + group + "-"}})
	if err != nil {
		t.Fatalf("GetAllSecrets by name: %v", err)
	}
	if len(byName) != 2 || !sameObject(byName[a], sa.Data) || !sameObject(byName[bb], sb.Data) {
		t.Errorf("find by name gave keys %v, want %s and %s with their pairs", keys(byName), a, bb)
	}
	if b.Find < FindByNameAndTags {
		return
	}
	byTags, err := c.GetAllSecrets(ctx(t), esv1.ExternalSecretFind{Tags: map[string]string{"team": team}})
	if err != nil {
		t.Fatalf("GetAllSecrets by tags: %v", err)
	}
	if len(byTags) != 2 || !sameObject(byTags[a], sa.Data) || !sameObject(byTags[other], so.Data) {
		t.Errorf("find by tags gave keys %v, want %s and %s", keys(byTags), a, other)
	}
	both, err := c.GetAllSecrets(ctx(t), esv1.ExternalSecretFind{
		Name: &esv1.FindName{RegExp: "^" + group + "-"}, Tags: map[string]string{"team": team},
	})
	if err != nil {
		t.Fatalf("GetAllSecrets by name and tags: %v", err)
	}
	if len(both) != 1 || both[a] == nil {
		t.Errorf("find by name and tags gave keys %v, want only %s", keys(both), a)
	}
}

func testNotFound(t *testing.T, b Backend) {
	c := b.client(t)
	missing := b.key("missing")
	if _, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(missing)}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret of a missing key = %v, want ErrNotFound", err)
	}
	if _, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(missing), Property: "password"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret of a property of a missing key = %v, want ErrNotFound", err)
	}
	if _, err := c.GetSecretMap(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(missing)}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecretMap of a missing key = %v, want ErrNotFound", err)
	}
	if b.Delete == nil {
		return
	}
	key := b.key("deleted")
	b.Seed(t, key, b.sample())
	if _, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)}); err != nil {
		t.Fatalf("GetSecret before the delete: %v", err)
	}
	b.Delete(t, key)
	if _, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret of a deleted key = %v, want ErrNotFound", err)
	}
}

func testNoValueInErrors(t *testing.T, b Backend) {
	key := b.key("leak")
	value := secretValue()
	leaky := Secret{Data: map[string]string{"password": value, "user": value}}
	if len(b.Fields) > 0 {
		leaky = b.filled(value)
	}
	b.Seed(t, key, leaky)
	c := b.client(t)
	var errs []error
	_, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "password.deeper"})
	errs = append(errs, err)
	_, err = c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "absent"})
	errs = append(errs, err)
	_, err = c.GetSecretMap(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "password"})
	errs = append(errs, err)
	if b.Versions {
		_, err = c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Version: "999999"})
		errs = append(errs, err)
	}
	failed := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		failed++
		if strings.Contains(err.Error(), value) {
			t.Errorf("an error quotes the secret value: %v", err)
		}
	}
	if failed == 0 {
		t.Error("no read failed: the check proves nothing")
	}
}

func testConcurrentUse(t *testing.T, b Backend) {
	const callers, calls = 8, 5
	key, s := b.key("concurrent"), b.sample()
	b.Seed(t, key, s)
	c := b.client(t)
	readCtx := ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, callers*calls)
	for range callers {
		wg.Go(func() {
			for range calls {
				got, err := c.GetSecret(readCtx, esv1.ExternalSecretDataRemoteRef{Key: b.remote(key), Property: "password"})
				switch {
				case err != nil:
					errs <- err
				case string(got) != s.Data["password"]:
					errs <- errors.New("a concurrent read gave another value")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testCredentialsReused(t *testing.T, b Backend) {
	if b.Logins == nil {
		t.Skip("the backend's authentication cannot be counted")
	}
	key, s := b.key("logins"), b.sample()
	b.Seed(t, key, s)
	c := b.client(t)
	before := b.Logins()
	for range 10 {
		if _, err := c.GetSecret(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)}); err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
		if _, err := c.GetSecretMap(ctx(t), esv1.ExternalSecretDataRemoteRef{Key: b.remote(key)}); err != nil {
			t.Fatalf("GetSecretMap: %v", err)
		}
	}
	if logins := b.Logins() - before; logins > 1 {
		t.Errorf("20 reads with one client logged in %d times, want at most once", logins)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
