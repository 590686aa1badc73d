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

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// pushFolder is the store's folderID (keeperStore); Keeper lists a shared folder to the
// application only once it holds a record, so the tests put one there.
const pushFolder = "folder-uid"

func newWriter(t *testing.T, f *fakeKeeper) provider.Client {
	t.Helper()
	f.add(t, pushFolder, customRecord("already in the folder", map[string]string{"note": "n"}))
	return newTestClient(t, f, f.config(t, f.register(t), "10"), false)
}

func push(t *testing.T, c provider.Client, value, remoteKey string) error {
	t.Helper()
	return c.(provider.Writer).PushSecret(context.Background(), []byte(value), provider.PushRef{RemoteKey: remoteKey, SecretKey: "source-key"})
}

// onlyRecord returns the UID and data of the one record titled title.
func onlyRecord(t *testing.T, f *fakeKeeper, title string) (string, map[string]any) {
	t.Helper()
	records := f.stored(t, title)
	if len(records) != 1 {
		t.Fatalf("%d records are titled %q, want 1", len(records), title)
	}
	for uid, data := range records {
		return uid, data
	}
	return "", nil
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestPushCreatesThenUpdatesInPlace: the first push creates an externalSecrets record in
// the store's folder with the value where ESO puts it; later pushes change that record
// (same UID, next revision), add a second key beside the first, and write nothing when the
// value is already there. What was pushed reads back through GetSecret.
func TestPushCreatesThenUpdatesInPlace(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	ctx := context.Background()

	if err := push(t, c, "s3cr3t-1", "orders-db/db_password"); err != nil {
		t.Fatalf("PushSecret (create): %v", err)
	}
	uid, data := onlyRecord(t, f, "orders-db")
	if got, want := jsonOf(t, data), `{"custom":[],"fields":[{"type":"password","value":["s3cr3t-1"]}],"notes":"","title":"orders-db","type":"externalSecrets"}`; got != want {
		t.Errorf("created record =\n%s\nwant\n%s", got, want)
	}
	f.mu.Lock()
	folder, revision := f.records[uid].folder, f.records[uid].revision
	f.mu.Unlock()
	if folder != pushFolder || revision != 1 {
		t.Errorf("the record is in folder %q at revision %d, want %q at 1", folder, revision, pushFolder)
	}

	if err := push(t, c, "s3cr3t-2", "orders-db/db_password"); err != nil {
		t.Fatalf("PushSecret (update): %v", err)
	}
	if err := c.(provider.Writer).PushSecret(ctx, []byte("tok-9"), provider.PushRef{RemoteKey: "orders-db", Property: "api-token", SecretKey: "k"}); err != nil {
		t.Fatalf("PushSecret of a second key: %v", err)
	}
	again, data := onlyRecord(t, f, "orders-db")
	if again != uid {
		t.Errorf("the update made record %s, want the change in %s", again, uid)
	}
	if got, want := jsonOf(t, data["fields"])+jsonOf(t, data["custom"]),
		`[{"type":"password","value":["s3cr3t-2"]}][{"label":"api-token","type":"secret","value":["tok-9"]}]`; got != want {
		t.Errorf("updated fields = %s, want %s", got, want)
	}
	if _, updates := f.count("update_secret"); updates != 0 {
		t.Errorf("%d update_secret calls were refused", updates)
	}

	before, _ := f.count("update_secret")
	if err := push(t, c, "s3cr3t-2", "orders-db/db_password"); err != nil {
		t.Fatalf("PushSecret of the same value: %v", err)
	}
	if after, _ := f.count("update_secret"); after != before {
		t.Errorf("pushing the value already there made %d update_secret calls, want none", after-before)
	}
	f.mu.Lock()
	revision = f.records[uid].revision
	f.mu.Unlock()
	if revision != 3 {
		t.Errorf("revision = %d after two changes, want 3", revision)
	}
	if created, _ := f.count("create_secret"); created != 1 {
		t.Errorf("create_secret was called %d times, want 1", created)
	}

	for property, want := range map[string]string{"password": "s3cr3t-2", "api-token": "tok-9"} {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: uid, Property: property})
		if err != nil || string(got) != want {
			t.Errorf("GetSecret %s of the pushed record = %q, %v; want %q", property, got, err, want)
		}
	}
}

// TestPushFieldPlacement: keys go to the login, password and url fields by what their
// names contain, as in ESO, any other to a custom field labelled with the key.
func TestPushFieldPlacement(t *testing.T) {
	for key, want := range map[string]string{
		"username":    `[{"type":"login","value":["v"]}][]`,
		"DB_Login":    `[{"type":"login","value":["v"]}][]`,
		"PASSWORD":    `[{"type":"password","value":["v"]}][]`,
		"baseUrl":     `[{"type":"url","value":["v"]}][]`,
		"certificate": `[][{"label":"certificate","type":"secret","value":["v"]}]`,
	} {
		f := startKeeper(t)
		c := newWriter(t, f)
		if err := push(t, c, "v", "placed/"+key); err != nil {
			t.Fatalf("PushSecret %s: %v", key, err)
		}
		_, data := onlyRecord(t, f, "placed")
		if got := jsonOf(t, data["fields"]) + jsonOf(t, data["custom"]); got != want {
			t.Errorf("key %s: fields %s, want %s", key, got, want)
		}
	}
}

// TestPushLeavesOthersRecordsAlone: a record of another type with the pushed title is not
// written, not deleted, and makes SecretExists fail rather than say no.
func TestPushLeavesOthersRecordsAlone(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	w := c.(provider.Writer)
	ctx := context.Background()
	uid := f.add(t, pushFolder, customRecord("billing", map[string]string{"password": "the-users-own"}))
	f.mu.Lock()
	original := string(f.records[uid].data)
	f.mu.Unlock()

	err := push(t, c, "pushed-value", "billing/password")
	if !errors.Is(err, provider.ErrNotManaged) || !strings.Contains(err.Error(), uid) {
		t.Errorf("PushSecret over a login record = %v, want ErrNotManaged naming %s", err, uid)
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "billing/password"}); err != nil {
		t.Errorf("DeleteSecret of a title only another's record has = %v, want nothing done", err)
	}
	if _, err := w.SecretExists(ctx, provider.PushRef{RemoteKey: "billing/password"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("SecretExists = %v, want ErrNotManaged", err)
	}
	f.mu.Lock()
	now, ok := f.records[uid]
	f.mu.Unlock()
	if !ok || string(now.data) != original || now.revision != 1 {
		t.Errorf("the user's record was changed or deleted")
	}
	for _, endpoint := range []string{"create_secret", "update_secret", "delete_secret"} {
		if n, _ := f.count(endpoint); n != 0 {
			t.Errorf("%s was called %d times, want 0", endpoint, n)
		}
	}
	if err != nil && strings.Contains(err.Error(), "pushed-value") {
		t.Errorf("the error quotes the value: %v", err)
	}
}

// TestDeletePushed: deleting one of two pushed keys removes that field; deleting the last
// one deletes the record; deleting again is nothing to do.
func TestDeletePushed(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	w := c.(provider.Writer)
	ctx := context.Background()
	for key, value := range map[string]string{"password": "p", "token": "t"} {
		if err := push(t, c, value, "to-delete/"+key); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := onlyRecord(t, f, "to-delete")

	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "to-delete/password"}); err != nil {
		t.Fatalf("DeleteSecret of one key: %v", err)
	}
	_, data := onlyRecord(t, f, "to-delete")
	if got := jsonOf(t, data["fields"]) + jsonOf(t, data["custom"]); got != `[][{"label":"token","type":"secret","value":["t"]}]` {
		t.Errorf("after deleting password the record holds %s", got)
	}
	if n, _ := f.count("delete_secret"); n != 0 {
		t.Errorf("deleting one of two keys called delete_secret %d times", n)
	}

	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "to-delete", Property: "token"}); err != nil {
		t.Fatalf("DeleteSecret of the last key: %v", err)
	}
	if left := f.stored(t, "to-delete"); len(left) != 0 {
		t.Errorf("record %s is still there after its last key was deleted", uid)
	}
	if n, _ := f.count("delete_secret"); n != 1 {
		t.Errorf("delete_secret was called %d times, want 1", n)
	}
	if err := w.DeleteSecret(ctx, provider.PushRef{RemoteKey: "to-delete/token"}); err != nil {
		t.Errorf("DeleteSecret of a record that is gone = %v", err)
	}
	if n, _ := f.count("delete_secret"); n != 1 {
		t.Errorf("deleting a gone record called delete_secret again")
	}
}

// TestSecretExists is what updatePolicy IfNotExists asks: false before the push, true for
// the pushed key after it, false for a key the record does not hold.
func TestSecretExists(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	w := c.(provider.Writer)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "exists/api-key"}
	if ok, err := w.SecretExists(ctx, ref); ok || err != nil {
		t.Errorf("SecretExists before any push = %v, %v", ok, err)
	}
	if err := push(t, c, "k", "exists/api-key"); err != nil {
		t.Fatal(err)
	}
	if ok, err := w.SecretExists(ctx, ref); !ok || err != nil {
		t.Errorf("SecretExists after the push = %v, %v", ok, err)
	}
	if ok, err := w.SecretExists(ctx, provider.PushRef{RemoteKey: "exists/other"}); ok || err != nil {
		t.Errorf("SecretExists of a key the record lacks = %v, %v", ok, err)
	}
}

// TestStaleRevision: a record changed in the vault between Ferry's read and its write is
// not overwritten; Keeper's refusal reaches the caller.
func TestStaleRevision(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	if err := push(t, c, "first", "raced/token"); err != nil {
		t.Fatal(err)
	}
	uid, _ := onlyRecord(t, f, "raced")
	byUser := map[string]any{"title": "raced", "type": managedType, "fields": []any{},
		"custom": []map[string]any{{"type": "secret", "label": "token", "value": []string{"set-in-the-vault"}}}}
	f.mu.Lock()
	f.beforeUpdate = func() { f.edit(t, uid, byUser) }
	f.mu.Unlock()

	err := push(t, c, "second", "raced/token")
	if err == nil || !strings.Contains(err.Error(), "out_of_sync") || !strings.Contains(err.Error(), "revision 1") {
		t.Fatalf("PushSecret over a record changed meanwhile = %v, want Keeper's out_of_sync naming the revision read", err)
	}
	_, data := onlyRecord(t, f, "raced")
	if got := jsonOf(t, data["custom"]); !strings.Contains(got, "set-in-the-vault") {
		t.Errorf("the vault user's change was overwritten: %s", got)
	}
	if strings.Contains(err.Error(), "second") || strings.Contains(err.Error(), "first") {
		t.Errorf("the error quotes a value: %v", err)
	}
}

// TestPushErrors: what cannot be pushed fails with what to fix and no call that writes.
func TestPushErrors(t *testing.T) {
	f := startKeeper(t)
	c := newWriter(t, f)
	w := c.(provider.Writer)
	ctx := context.Background()
	metadata := &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"folder":"x"}}`)}
	for name, tt := range map[string]struct {
		value []byte
		ref   provider.PushRef
		want  string
	}{
		"whole secret":       {[]byte(`{"a":"b"}`), provider.PushRef{RemoteKey: "r/a"}, "pushing a whole Secret is not supported"},
		"no field":           {[]byte("v"), provider.PushRef{RemoteKey: "r", SecretKey: "k"}, "write it as <record title>/<field>"},
		"two slashes":        {[]byte("v"), provider.PushRef{RemoteKey: "r/a/b", SecretKey: "k"}, "with one slash"},
		"slash and property": {[]byte("v"), provider.PushRef{RemoteKey: "r/a", Property: "b", SecretKey: "k"}, "leave property empty"},
		"no title":           {[]byte("v"), provider.PushRef{RemoteKey: "/a", SecretKey: "k"}, "title before the slash is empty"},
		"metadata":           {[]byte("v"), provider.PushRef{RemoteKey: "r/a", SecretKey: "k", Metadata: metadata}, "metadata.spec.folder"},
		"binary":             {[]byte{0xff, 0xfe}, provider.PushRef{RemoteKey: "r/a", SecretKey: "k"}, "not UTF-8"},
	} {
		if err := w.PushSecret(ctx, tt.value, tt.ref); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: PushSecret = %v, want %q", name, err, tt.want)
		}
	}

	a := f.register(t)
	store := func(folderID string) esv1.GenericStore {
		s := keeperStore(false)
		s.GetSpec().Provider.KeeperSecurity.FolderID = folderID
		return s
	}
	noOwner := func(config []byte) []byte {
		doc, _ := base64.StdEncoding.DecodeString(string(config))
		var m map[string]string
		_ = json.Unmarshal(doc, &m)
		delete(m, "appOwnerPublicKey")
		doc, _ = json.Marshal(m)
		return []byte(base64.StdEncoding.EncodeToString(doc))
	}
	for name, tt := range map[string]struct {
		store  esv1.GenericStore
		config []byte
		want   string
	}{
		"no folderID":       {store(""), f.config(t, a, "10"), "spec.provider.keepersecurity.folderID is empty"},
		"folder not shared": {store("NotSharedFolder"), f.config(t, a, "10"), `folderID "NotSharedFolder" is not a shared folder`},
		"no owner key":      {store(pushFolder), noOwner(f.config(t, a, "10")), "no appOwnerPublicKey"},
	} {
		c, err := testProvider(f).NewClient(ctx, tt.store, configKube(tt.config), "apps")
		if err != nil {
			t.Fatalf("%s: NewClient: %v", name, err)
		}
		if err := push(t, c, "v", "new-record/password"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: PushSecret = %v, want %q", name, err, tt.want)
		}
	}
	if n, refused := f.count("create_secret"); n+refused != 0 {
		t.Errorf("create_secret was called %d times", n+refused)
	}
	if got := slices.Collect(maps.Keys(f.stored(t, "new-record"))); len(got) != 0 {
		t.Errorf("records %v were created", got)
	}
}
