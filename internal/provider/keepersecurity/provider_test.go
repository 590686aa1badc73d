package keepersecurity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func newTestClient(t *testing.T, f *fakeKeeper, config []byte, fallback bool) provider.Client {
	t.Helper()
	c, err := testProvider(f).NewClient(context.Background(), keeperStore(fallback), configKube(config), "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// databaseRecord is a login record as the Keeper vault writes one: standard fields by type
// (one with a label), a file reference and a one-time code, and custom fields, one with
// several values and one whose value is an object.
var databaseRecord = map[string]any{
	"title": "production db",
	"type":  "login",
	"fields": []map[string]any{
		{"type": "login", "value": []string{"admin"}},
		{"type": "password", "value": []string{"pa55-w0rd"}},
		{"type": "url", "value": []string{"https://db.example.com"}},
		{"type": "text", "label": "port", "value": []string{"5432"}},
		{"type": "fileRef", "value": []string{"AttachmentUid000000000"}},
		{"type": "oneTimeCode", "value": []string{}},
	},
	"custom": []map[string]any{
		{"type": "secret", "label": "api key", "value": []string{"k-123"}},
		{"type": "multiline", "label": "hosts", "value": []string{"a.example.com", "b.example.com"}},
		{"type": "phone", "label": "on call", "value": []map[string]any{{"region": "US", "number": "555-0100"}}},
	},
	"notes": "rotated monthly",
}

// TestStandardAndCustomFields reads a record's fields by property as ESO does: standard
// ones by type or label, custom ones by label, several values or an object as JSON.
func TestStandardAndCustomFields(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "team-folder", databaseRecord)
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	ctx := context.Background()

	for property, want := range map[string]string{
		"login":    "admin",
		"password": "pa55-w0rd",
		"url":      "https://db.example.com",
		"port":     "5432",
		"api key":  "k-123",
		"hosts":    `["a.example.com","b.example.com"]`,
		"on call":  `{"number":"555-0100","region":"US"}`,
	} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: property})
		if err != nil {
			t.Fatalf("GetSecret property %q: %v", property, err)
		}
		if string(got) != want {
			t.Errorf("GetSecret property %q = %q, want %q", property, got, want)
		}
	}
	for _, property := range []string{"fileRef", "oneTimeCode", "notes", "text"} {
		_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: property})
		if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "has no field") {
			t.Errorf("GetSecret property %q = %v, want an error saying the record has no such field", property, err)
		}
	}

	whole, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	const wantWhole = `{"title":"production db","type":"login","fields":[` +
		`{"type":"login","value":["admin"]},{"type":"password","value":["pa55-w0rd"]},` +
		`{"type":"url","value":["https://db.example.com"]},{"type":"text","label":"port","value":["5432"]},` +
		`{"type":"fileRef","value":["AttachmentUid000000000"]},{"type":"oneTimeCode","value":[]}],"custom":[` +
		`{"type":"secret","label":"api key","value":["k-123"]},` +
		`{"type":"multiline","label":"hosts","value":["a.example.com","b.example.com"]},` +
		`{"type":"phone","label":"on call","value":[{"number":"555-0100","region":"US"}]}],"files":null}`
	if string(whole) != wantWhole {
		t.Errorf("GetSecret without property =\n%s\nwant\n%s", whole, wantWhole)
	}

	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err != nil {
		t.Fatalf("GetSecretMap: %v", err)
	}
	wantKeys := []string{"api key", "fileRef", "hosts", "login", "on call", "password", "port", "url"}
	if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, wantKeys) {
		t.Errorf("GetSecretMap keys = %v, want %v (fields with a value, by label or type)", got, wantKeys)
	}
	one, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "api key"})
	if err != nil || len(one) != 1 || string(one["api key"]) != "k-123" {
		t.Errorf("GetSecretMap with property = %v, %v; want only the api key", one, err)
	}
	if accepted, _ := f.count("get_secret"); accepted != 14 {
		t.Errorf("get_secret was called %d times for 14 reads, want one call per read", accepted)
	}
}

// TestDuplicateFieldNames refuses a record where a property could mean two fields, as ESO
// does, without quoting their values.
func TestDuplicateFieldNames(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "", map[string]any{"title": "twice", "type": "login",
		"fields": []map[string]any{{"type": "password", "value": []string{"first-value"}}},
		"custom": []map[string]any{{"type": "text", "label": "password", "value": []string{"second-value"}}}})
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "password"})
	if err == nil || !strings.Contains(err.Error(), "more than one field named password") {
		t.Fatalf("GetSecret = %v, want the duplicate field named", err)
	}
	if strings.Contains(err.Error(), "first-value") || strings.Contains(err.Error(), "second-value") {
		t.Errorf("the error quotes a field value: %v", err)
	}
}

// TestFindByTitle selects records by title with find.name.regexp, keyed by title, in one
// call, and refuses what Keeper cannot select by.
func TestFindByTitle(t *testing.T) {
	f := startKeeper(t)
	f.add(t, "", customRecord("app-db", map[string]string{"password": "one"}))
	f.add(t, "folder", customRecord("app-cache", map[string]string{"password": "two"}))
	f.add(t, "", customRecord("other-app", map[string]string{"password": "three"}))
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	ctx := context.Background()

	got, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^app-"}})
	if err != nil {
		t.Fatalf("GetAllSecrets: %v", err)
	}
	want := map[string]string{
		"app-db":    esoJSON("app-db", map[string]string{"password": "one"}),
		"app-cache": esoJSON("app-cache", map[string]string{"password": "two"}),
	}
	if !maps.Equal(asStrings(got), want) {
		t.Errorf("GetAllSecrets = %v, want %v", asStrings(got), want)
	}
	if accepted, _ := f.count("get_secret"); accepted != 1 {
		t.Errorf("find called get_secret %d times, want 1", accepted)
	}

	path := "some/path"
	for name, find := range map[string]esv1.ExternalSecretFind{
		"tags":    {Tags: map[string]string{"team": "a"}, Name: &esv1.FindName{RegExp: "app"}},
		"path":    {Path: &path, Name: &esv1.FindName{RegExp: "app"}},
		"no name": {},
		"bad re":  {Name: &esv1.FindName{RegExp: "("}},
	} {
		if _, err := c.GetAllSecrets(ctx, find); err == nil || !strings.Contains(err.Error(), "dataFrom.find") {
			t.Errorf("find with %s = %v, want an error naming dataFrom.find", name, err)
		}
	}

	f.add(t, "", customRecord("app-db", map[string]string{"password": "four"}))
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^app-"}}); err == nil || !strings.Contains(err.Error(), `both titled "app-db"`) {
		t.Errorf("find over two records of one title = %v, want an error naming the title", err)
	}
}

func asStrings(m map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// TestTitleFallback reads a record by title only when the store asks for it, and refuses a
// title two records share.
func TestTitleFallback(t *testing.T) {
	f := startKeeper(t)
	a := f.register(t)
	f.add(t, "", customRecord("payments", map[string]string{"token": "tok-1"}))
	ctx := context.Background()
	ref := esv1.ExternalSecretDataRemoteRef{Key: "payments", Property: "token"}

	if _, err := newTestClient(t, f, f.config(t, a, "10"), false).GetSecret(ctx, ref); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a title without getByTitleFallback = %v, want ErrNotFound", err)
	}
	c := newTestClient(t, f, f.config(t, a, "10"), true)
	before, _ := f.count("get_secret")
	got, err := c.GetSecret(ctx, ref)
	if err != nil || string(got) != "tok-1" {
		t.Fatalf("GetSecret by title = %q, %v; want tok-1", got, err)
	}
	if after, _ := f.count("get_secret"); after-before != 2 {
		t.Errorf("a read by title made %d get_secret calls, want 2 (by UID, then all)", after-before)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "no such title"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a title no record has = %v, want ErrNotFound", err)
	}
	f.add(t, "folder", customRecord("payments", map[string]string{"token": "tok-2"}))
	if _, err := c.GetSecret(ctx, ref); err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "2 records have this title") {
		t.Errorf("a title two records share = %v, want an error saying so", err)
	}
}

// TestBadSignature: a registered application whose configuration holds another private
// key is refused by Keeper's signature check; the error carries Keeper's answer.
func TestBadSignature(t *testing.T) {
	f := startKeeper(t)
	uid := f.add(t, "", customRecord("db", map[string]string{"password": "pw"}))
	a := f.register(t)
	a.key = unregistered(t).key
	c := newTestClient(t, f, f.config(t, a, "10"), false)
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("GetSecret with a wrong key = %v, want a refusal", err)
	}
	if !strings.Contains(err.Error(), "HTTP 403 access_denied: Signature is invalid") {
		t.Errorf("the error does not carry Keeper's answer: %v", err)
	}
	if _, refused := f.count("get_secret"); refused != 1 {
		t.Errorf("the server refused %d calls, want 1", refused)
	}
	if res, err := c.Validate(context.Background()); res != esv1.ValidationResultError || err == nil {
		t.Errorf("Validate = %v, %v; want an error", res, err)
	}
}

// TestUnknownClient: Keeper does not know the configuration's clientId.
func TestUnknownClient(t *testing.T) {
	f := startKeeper(t)
	c := newTestClient(t, f, f.config(t, unregistered(t), "10"), false)
	res, err := c.Validate(context.Background())
	if res != esv1.ValidationResultError || err == nil || !strings.Contains(err.Error(), "Unable to validate application access") {
		t.Errorf("Validate = %v, %v; want Keeper's access_denied", res, err)
	}
	good := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	if res, err := good.Validate(context.Background()); res != esv1.ValidationResultReady || err != nil {
		t.Errorf("Validate of a registered application = %v, %v", res, err)
	}
}

// TestServerKeyRotation: when Keeper asks for another of its server keys, the client
// retries once with it and keeps using it.
func TestServerKeyRotation(t *testing.T) {
	f := startKeeper(t)
	f.preferKey("12")
	uid := f.add(t, "", customRecord("db", map[string]string{"password": "pw"}))
	c := newTestClient(t, f, f.config(t, f.register(t), "10"), false)
	ctx := context.Background()
	for range 2 {
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: "password"}); err != nil || string(got) != "pw" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
	}
	if accepted, refused := f.count("get_secret"); accepted != 2 || refused != 1 {
		t.Errorf("get_secret accepted %d and refused %d calls, want 2 and 1 (only the first call on the old key)", accepted, refused)
	}

	// A key Ferry does not know is not retried.
	f.preferKey("99")
	_, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid})
	if err == nil || !strings.Contains(err.Error(), `server key "99"`) {
		t.Errorf("GetSecret when Keeper asks for an unknown key = %v", err)
	}
}

// TestConfigErrors: a configuration that cannot work fails NewClient with what to fix,
// quoting none of its values.
func TestConfigErrors(t *testing.T) {
	f := startKeeper(t)
	good := f.config(t, f.register(t), "10")
	doc, _ := base64.StdEncoding.DecodeString(string(good))
	replace := func(old, repl string) []byte {
		return []byte(base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(doc), old, repl, 1))))
	}
	var cfg ksmConfig
	if err := json.Unmarshal(doc, &cfg); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		config []byte
		want   string
	}{
		"empty":        {nil, "the Secret's key is empty"},
		"not base64":   {[]byte("%%% not a config"), "neither JSON nor base64"},
		"not json":     {[]byte(base64.StdEncoding.EncodeToString([]byte("hello"))), "not a JSON object"},
		"no app key":   {replace(`"appKey":"`+cfg.AppKey+`"`, `"appKey":""`), "has no appKey"},
		"short app":    {replace(cfg.AppKey, "c2hvcnQ="), "appKey is not a base64 32-byte key"},
		"bad key":      {replace(cfg.PrivateKey, "bm90IGEga2V5"), "privateKey is not a PKCS#8 P-256 key"},
		"http host":    {replace(`"hostname":"`, `"hostname":"http://`), "hostname is not"},
		"raw JSON bad": {[]byte(`{"clientId":"x"}`), "has no appKey, privateKey"},
		"bad owner":    {replace(`"appOwnerPublicKey":"`, `"appOwnerPublicKey":"bm90IGEga2V5`), "appOwnerPublicKey is not a base64 P-256 public key"},
	} {
		_, err := testProvider(f).NewClient(context.Background(), keeperStore(false), configKube(tt.config), "apps")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewClient = %v, want %q", name, err, tt.want)
			continue
		}
		for _, secret := range []string{cfg.AppKey, cfg.PrivateKey, cfg.ClientID} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error quotes the configuration: %v", name, err)
			}
		}
	}
	c, err := testProvider(f).NewClient(context.Background(), keeperStore(false), configKube(doc), "apps")
	if err != nil {
		t.Fatalf("NewClient with the JSON configuration itself: %v", err)
	}
	if res, err := c.Validate(context.Background()); res != esv1.ValidationResultReady {
		t.Errorf("Validate with the JSON configuration = %v, %v", res, err)
	}
	unknownKey := f.config(t, f.register(t), "42")
	c, err = testProvider(f).NewClient(context.Background(), keeperStore(false), configKube(unknownKey), "apps")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Validate(context.Background()); err == nil || !strings.Contains(err.Error(), `serverPublicKeyId "42"`) {
		t.Errorf("Validate with an unknown serverPublicKeyId = %v", err)
	}
}

// TestValidateStore checks the store as written.
func TestValidateStore(t *testing.T) {
	p := New()
	if err := p.ValidateStore(keeperStore(false)); err != nil {
		t.Errorf("a good store: %v", err)
	}
	noKey := keeperStore(false)
	noKey.GetSpec().Provider.KeeperSecurity.AuthRef.Key = ""
	if err := p.ValidateStore(noKey); err == nil || !strings.Contains(err.Error(), "spec.provider.keepersecurity.authRef: name and key are required") {
		t.Errorf("a store without authRef.key: %v", err)
	}
	otherNS := keeperStore(false)
	ns := "elsewhere"
	otherNS.GetSpec().Provider.KeeperSecurity.AuthRef.Namespace = &ns
	if err := p.ValidateStore(otherNS); err == nil {
		t.Error("a SecretStore reading another namespace's Secret passed")
	}
	if err := p.ValidateStore(&esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}); err == nil {
		t.Error("a store without the keepersecurity block passed")
	}
}
