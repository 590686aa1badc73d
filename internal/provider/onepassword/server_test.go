package onepassword

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const connectToken = "connect-token"

// fakeConnect is an in-process 1Password Connect server, written from the Connect API
// reference: bearer token auth, vaults and items filtered by `name eq "…"` / `title eq
// "…"`, item summaries without fields, full items with fields and files, file content,
// item create / replace / delete, and {"status","message"} error bodies. No Connect server
// runs here; it stands in for the real one.
type fakeConnect struct {
	srv *httptest.Server
	mu  sync.Mutex
	// vaults by ID, with their name; items by vault ID then item ID.
	vaults   map[string]string
	items    map[string]map[string]*item
	files    map[string][]byte // file ID → content
	requests map[string]int
	fault    func(w http.ResponseWriter, r *http.Request) bool
}

func startConnect(t *testing.T, vaultNames ...string) *fakeConnect {
	t.Helper()
	f := &fakeConnect{vaults: map[string]string{}, items: map[string]map[string]*item{}, files: map[string][]byte{}, requests: map[string]int{}}
	for _, n := range vaultNames {
		id := newID()
		f.vaults[id], f.items[id] = n, map[string]*item{}
	}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// newID makes an ID of 1Password's shape: 26 lower-case letters and digits.
func newID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	raw := make([]byte, 26)
	_, _ = rand.Read(raw)
	for i, b := range raw {
		raw[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(raw)
}

func (f *fakeConnect) vaultID(name string) string {
	for id, n := range f.vaults {
		if n == name {
			return id
		}
	}
	return ""
}

// add stores an item in the named vault and returns its ID.
func (f *fakeConnect) add(vault string, it item) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	vid := f.vaultID(vault)
	it.ID, it.Vault.ID = newID(), vid
	for i := range it.Files {
		it.Files[i].ContentPath = "/v1/vaults/" + vid + "/items/" + it.ID + "/files/" + it.Files[i].ID + "/content"
	}
	f.items[vid][it.ID] = &it
	return it.ID
}

func (f *fakeConnect) byTitle(vault, title string) *item {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.items[f.vaultID(vault)] {
		if it.Title == title {
			return it
		}
	}
	return nil
}

func (f *fakeConnect) removeTitle(title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, items := range f.items {
		for id, it := range items {
			if it.Title == title {
				delete(items, id)
			}
		}
	}
}

func (f *fakeConnect) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.requests {
		if strings.HasPrefix(k, prefix) {
			n += c
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "message": msg})
}

// eqFilter reads `attr eq "value"`.
func eqFilter(q, attr string) (string, bool) {
	rest, ok := strings.CutPrefix(q, attr+` eq "`)
	if !ok || !strings.HasSuffix(rest, `"`) {
		return "", false
	}
	return strings.ReplaceAll(strings.TrimSuffix(rest, `"`), `\"`, `"`), true
}

func (f *fakeConnect) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.Method+" "+r.URL.Path]++
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+connectToken {
		fail(w, http.StatusUnauthorized, "Invalid token signature")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" || parts[1] != "vaults" {
		fail(w, http.StatusNotFound, "Not found")
		return
	}
	if len(parts) == 2 {
		name, ok := eqFilter(r.URL.Query().Get("filter"), "name")
		out := []map[string]string{}
		for id, n := range f.vaults {
			if !ok || n == name {
				out = append(out, map[string]string{"id": id, "name": n})
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	items, ok := f.items[parts[2]]
	if !ok {
		fail(w, http.StatusNotFound, "vault "+parts[2]+" not found")
		return
	}
	switch {
	case len(parts) == 4 && r.Method == http.MethodGet:
		f.list(w, r, items)
	case len(parts) == 4 && r.Method == http.MethodPost:
		var it item
		if err := json.NewDecoder(r.Body).Decode(&it); err != nil || it.Title == "" {
			fail(w, http.StatusBadRequest, "Invalid item")
			return
		}
		it.ID = newID()
		items[it.ID] = &it
		writeJSON(w, http.StatusOK, it)
	case len(parts) >= 5:
		f.one(w, r, items, parts)
	default:
		fail(w, http.StatusNotFound, "Not found")
	}
}

func (f *fakeConnect) list(w http.ResponseWriter, r *http.Request, items map[string]*item) {
	title, filtered := eqFilter(r.URL.Query().Get("filter"), "title")
	out := []map[string]any{}
	for _, it := range items {
		if !filtered || it.Title == title {
			out = append(out, map[string]any{"id": it.ID, "title": it.Title, "category": it.Category, "tags": it.Tags,
				"vault": map[string]string{"id": it.Vault.ID}})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeConnect) one(w http.ResponseWriter, r *http.Request, items map[string]*item, parts []string) {
	it, ok := items[parts[4]]
	if !ok {
		fail(w, http.StatusNotFound, "item "+parts[4]+" not found")
		return
	}
	switch {
	case len(parts) == 8 && parts[5] == "files" && parts[7] == "content":
		content, ok := f.files[parts[6]]
		if !ok {
			fail(w, http.StatusNotFound, "file not found")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(content)
	case r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, it)
	case r.Method == http.MethodPut:
		var next item
		if err := json.NewDecoder(r.Body).Decode(&next); err != nil || next.ID != it.ID {
			fail(w, http.StatusBadRequest, "Invalid item")
			return
		}
		items[it.ID] = &next
		writeJSON(w, http.StatusOK, next)
	case r.Method == http.MethodDelete:
		delete(items, it.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}
