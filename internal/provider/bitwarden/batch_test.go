package bitwarden

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// TestReadDocuments resolves names and IDs in one listing and one batch read, with the
// same answers GetSecret gives one by one, and falls back to those when the batch fails.
func TestReadDocuments(t *testing.T) {
	f := startSDKServer(t)
	dbID := f.Put(testProject, "db", `{"user":"admin"}`, "")
	f.Put(otherProj, "db", "other project", "")
	otherID := f.Put(otherProj, "far", "far value", "")
	f.Put(testProject, "twice", "1", "")
	f.Put(testProject, "twice", "2", "")
	f.Put(otherProj, "elsewhere", "x", "")
	c := newClient(t, f, testToken)
	ctx := context.Background()
	keys := []string{"db", strings.ToUpper(dbID), otherID, "twice", "elsewhere", "missing", newID()}

	check := func(docs map[string]provider.Document) {
		t.Helper()
		for _, tc := range []struct {
			key, want string
			notFound  bool
		}{
			{"db", `{"user":"admin"}`, false}, {strings.ToUpper(dbID), `{"user":"admin"}`, false}, {otherID, "far value", false},
			{"twice", "", false}, {"elsewhere", "", true}, {"missing", "", true}, {keys[6], "", true},
		} {
			doc := docs[tc.key]
			switch {
			case tc.want != "" && (doc.Err != nil || string(doc.Value) != tc.want):
				t.Errorf("%s = %q, %v; want %q", tc.key, doc.Value, doc.Err, tc.want)
			case tc.want == "" && (doc.Err == nil || errors.Is(doc.Err, provider.ErrNotFound) != tc.notFound):
				t.Errorf("%s = %q, %v; want an error, not found = %v", tc.key, doc.Value, doc.Err, tc.notFound)
			}
		}
	}
	docs, err := c.ReadDocuments(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	check(docs)
	if l, b, g := f.Count(listRoute), f.Count("GET /secrets-by-ids"), f.Count(getRoute); l != 1 || b != 1 || g != 0 {
		t.Errorf("7 keys cost %d listings, %d batch reads and %d single reads, want 1, 1 and 0", l, b, g)
	}
	if got, err := c.SecretFromDocument(docs["db"], esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"}); err != nil || string(got) != "admin" {
		t.Errorf("SecretFromDocument db.user = %q, %v", got, err)
	}
	if got, err := c.SecretMapFromDocument(docs["db"], esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil || string(got["user"]) != "admin" {
		t.Errorf("SecretMapFromDocument db = %q, %v", got, err)
	}

	// The SDK server refuses a whole batch when one ID is gone: each key is then read alone.
	f.SetFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != apiPath+"/secrets-by-ids" {
			return false
		}
		http.Error(w, "failed to get secrets: [404 Not Found] Resource not found.", http.StatusBadRequest)
		return true
	})
	docs, err = c.ReadDocuments(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	check(docs)
}
