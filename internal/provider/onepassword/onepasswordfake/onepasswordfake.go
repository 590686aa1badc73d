package onepasswordfake

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Token is the Connect token the server accepts, as "Authorization: Bearer <Token>".
const Token = "connect-token"

// Item is a 1Password item as Connect sends and takes it.
type Item struct {
	ID       string   `json:"id,omitempty"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Tags     []string `json:"tags,omitempty"`
	Vault    struct {
		ID string `json:"id"`
	} `json:"vault"`
	Fields []Field `json:"fields,omitempty"`
	Files  []File  `json:"files,omitempty"`
}

// Field is one field of an Item.
type Field struct {
	ID    string `json:"id,omitempty"`
	Label string `json:"label"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

// File is a file attached to an Item; its content is served from ContentPath once PutFile
// has stored it under ID.
type File struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentPath string `json:"content_path"`
}

// Server is a running stand-in.
type Server struct {
	*fakehttp.Server

	mu sync.Mutex
	// vaults by ID, with their name; items by vault ID then item ID.
	vaults   map[string]string
	items    map[string]map[string]*Item
	files    map[string][]byte // file ID → content
	requests map[string]int
	fault    func(w http.ResponseWriter, r *http.Request) bool
}

// Start serves a stand-in with the named, empty vaults over plain HTTP on a free loopback
// port, as a Connect server listens behind its Service; Close stops it.
func Start(vaultNames ...string) (*Server, error) {
	return start(fakehttp.Start, vaultNames)
}

// StartTLS is Start over TLS with a certificate made at start; Client trusts it.
func StartTLS(vaultNames ...string) (*Server, error) {
	return start(func(h http.Handler) (*fakehttp.Server, error) { return fakehttp.StartTLS(h) }, vaultNames)
}

func start(serve func(http.Handler) (*fakehttp.Server, error), vaultNames []string) (*Server, error) {
	f := &Server{vaults: map[string]string{}, items: map[string]map[string]*Item{}, files: map[string][]byte{}, requests: map[string]int{}}
	for _, n := range vaultNames {
		id := newID()
		f.vaults[id], f.items[id] = n, map[string]*Item{}
	}
	srv, err := serve(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
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

func (f *Server) vaultID(name string) string {
	for id, n := range f.vaults {
		if n == name {
			return id
		}
	}
	return ""
}

// Add stores an item in the named vault and returns its ID.
func (f *Server) Add(vault string, it Item) string {
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

// PutFile stores the content of the file id, served for any item's file of that ID.
func (f *Server) PutFile(id string, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = content
}

// ByTitle is the item of that title in the named vault, or nil.
func (f *Server) ByTitle(vault, title string) *Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.items[f.vaultID(vault)] {
		if it.Title == title {
			return it
		}
	}
	return nil
}

// RemoveTitle deletes every item of that title, in every vault.
func (f *Server) RemoveTitle(title string) {
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

// Count is the number of requests served whose "METHOD /path" starts with prefix.
func (f *Server) Count(prefix string) int {
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

// Requests is the number of requests served whose "METHOD /path" is exactly key.
func (f *Server) Requests(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// SetFault has fault see every request first; a fault that returns true has answered it.
func (f *Server) SetFault(fault func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Fail answers with Connect's error body.
func Fail(w http.ResponseWriter, status int, msg string) {
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

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.Method+" "+r.URL.Path]++
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+Token {
		Fail(w, http.StatusUnauthorized, "Invalid token signature")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" || parts[1] != "vaults" {
		Fail(w, http.StatusNotFound, "Not found")
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
		Fail(w, http.StatusNotFound, "vault "+parts[2]+" not found")
		return
	}
	switch {
	case len(parts) == 4 && r.Method == http.MethodGet:
		f.list(w, r, items)
	case len(parts) == 4 && r.Method == http.MethodPost:
		var it Item
		if err := json.NewDecoder(r.Body).Decode(&it); err != nil || it.Title == "" {
			Fail(w, http.StatusBadRequest, "Invalid item")
			return
		}
		it.ID = newID()
		items[it.ID] = &it
		writeJSON(w, http.StatusOK, it)
	case len(parts) >= 5:
		f.one(w, r, items, parts)
	default:
		Fail(w, http.StatusNotFound, "Not found")
	}
}

func (f *Server) list(w http.ResponseWriter, r *http.Request, items map[string]*Item) {
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

func (f *Server) one(w http.ResponseWriter, r *http.Request, items map[string]*Item, parts []string) {
	it, ok := items[parts[4]]
	if !ok {
		Fail(w, http.StatusNotFound, "item "+parts[4]+" not found")
		return
	}
	switch {
	case len(parts) == 8 && parts[5] == "files" && parts[7] == "content":
		content, ok := f.files[parts[6]]
		if !ok {
			Fail(w, http.StatusNotFound, "file not found")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(content)
	case r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, it)
	case r.Method == http.MethodPut:
		var next Item
		if err := json.NewDecoder(r.Body).Decode(&next); err != nil || next.ID != it.ID {
			Fail(w, http.StatusBadRequest, "Invalid item")
			return
		}
		items[it.ID] = &next
		writeJSON(w, http.StatusOK, next)
	case r.Method == http.MethodDelete:
		delete(items, it.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}
