package secretserverfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Server is a running stand-in. Its templates are 6003 (one Data field) and 6010
// (Username, Password, Notes); its folders 12 (/Ferry/Pushed) and 13 (/Ferry/Other); it
// holds no secret until Put.
type Server struct {
	*fakehttp.Server
	// Username and Password are the credentials the token endpoint accepts.
	Username, Password string
	// StaticToken is a token the server accepts without a login, as one an administrator
	// issued.
	StaticToken string

	domain string

	mu      sync.Mutex
	secrets map[int]*fakeSecret
	nextID  int
	tokens  map[string]time.Time
	logins  int
	// calls counts the API calls (not the logins) by kind: "id", "path", "search", "file",
	// "user", "stub", "create", "update", "delete".
	calls map[string]int
	// denied lists the ids the user may not view.
	denied map[int]bool
	// expiresIn is the token life the token endpoint announces, in seconds.
	expiresIn int
	// templates are the secret templates, by id: the fields (name and slug) of their
	// secrets.
	templates map[int][]Item
	// folders are the folders pushes create secrets in, by id: their paths.
	folders map[int]string
}

type fakeSecret struct {
	id     int
	name   string
	folder string // a folder path such as "/Apps/Prod", "" for the root
	// folderID is the folder's id; 0 stands for len(folder), the ids seeded secrets have.
	folderID   int
	templateID int
	items      []Item
}

// Item is one field of a secret.
type Item struct {
	Name, Slug, Value string
	// File, when set, makes the item a file field holding it.
	File []byte
}

const fakeBase = "/SecretServer"

// Start serves a stand-in over plain HTTP on a free loopback port; Close stops it.
func Start() (*Server, error) { return start(fakehttp.Start) }

// StartTLS serves a stand-in over TLS, with a certificate of its own (Certificate), on a
// free loopback port; Close stops it.
func StartTLS() (*Server, error) {
	return start(func(h http.Handler) (*fakehttp.Server, error) { return fakehttp.StartTLS(h) })
}

func start(serve func(http.Handler) (*fakehttp.Server, error)) (*Server, error) {
	f := newServer()
	srv, err := serve(f)
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

func newServer() *Server {
	return &Server{Username: "svc-ferry", Password: "user-password-1", StaticToken: "static-token-1",
		secrets: map[int]*fakeSecret{}, nextID: 40, tokens: map[string]time.Time{}, calls: map[string]int{},
		denied: map[int]bool{}, expiresIn: 1200, templates: map[int][]Item{
			6003: {{Name: "Data", Slug: "data"}},
			6010: {{Name: "Username", Slug: "username"}, {Name: "Password", Slug: "password"}, {Name: "Notes", Slug: "notes"}},
		}, folders: map[int]string{12: "/Ferry/Pushed", 13: "/Ferry/Other"}}
}

// BaseURL is the store's serverURL that points at this server.
func (f *Server) BaseURL() string { return f.URL + fakeBase }

// Logins counts the tokens issued.
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// CallCount is the number of API calls (not logins) of a kind: "id", "path", "search",
// "file", "user", "stub", "create", "update" or "delete".
func (f *Server) CallCount(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[kind]
}

// Put stores a secret in folder (a path such as "/Apps/Prod", "" for the root) and
// returns its id.
func (f *Server) Put(folder, name string, items ...Item) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.secrets[f.nextID] = &fakeSecret{id: f.nextID, name: name, folder: folder, items: items}
	return f.nextID
}

// RemoveNamed deletes every secret named name.
func (f *Server) RemoveNamed(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.secrets {
		if s.name == name {
			delete(f.secrets, id)
		}
	}
}

// SetDomain makes the token endpoint require the domain d ("" for none).
func (f *Server) SetDomain(d string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.domain = d
}

// Domain is the domain the token endpoint requires, "" for none.
func (f *Server) Domain() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.domain
}

// Deny forbids the user to view or edit the secret id.
func (f *Server) Deny(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[id] = true
}

// DropTokens forgets every token issued by a login.
func (f *Server) DropTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

// Secret is a copy of one secret the server holds.
type Secret struct {
	ID                   int
	Name, Folder         string
	FolderID, TemplateID int
	Items                []Item
}

// Secrets is a copy of every secret the server holds, in no order.
func (f *Server) Secrets() []Secret {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Secret, 0, len(f.secrets))
	for _, s := range f.secrets {
		out = append(out, Secret{ID: s.id, Name: s.name, Folder: s.folder, FolderID: s.folderNumber(), TemplateID: s.template(),
			Items: append([]Item(nil), s.items...)})
	}
	return out
}

func ssError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errorCode": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, fakeBase+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if path == "oauth2/token" && r.Method == http.MethodPost {
		f.token(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodDelete {
		ssError(w, http.StatusMethodNotAllowed, "API_MethodNotAllowed", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := f.tokens[bearer]; (!ok || time.Now().After(exp)) && (f.StaticToken == "" || bearer != f.StaticToken) {
		ssError(w, http.StatusUnauthorized, "API_AuthenticationFailed", "Authentication failed or token expired.")
		return
	}
	segs := strings.Split(path, "/")
	switch {
	case path == "api/v1/users/current":
		f.calls["user"]++
		writeJSON(w, map[string]any{"id": 7, "userName": f.Username, "displayName": "Ferry", "enabled": true})
	case path == "api/v1/secrets" && r.Method == http.MethodGet:
		f.calls["search"]++
		f.search(w, r)
	case path == "api/v1/secrets" && r.Method == http.MethodPost:
		f.calls["create"]++
		f.create(w, r)
	case len(segs) == 4 && segs[0] == "api" && segs[2] == "folders" && r.Method == http.MethodGet:
		f.calls["folder"]++
		f.folder(w, segs[3])
	case path == "api/v1/secrets/stub" && r.Method == http.MethodGet:
		f.calls["stub"]++
		f.stub(w, r)
	case len(segs) == 4 && segs[0] == "api" && segs[2] == "secrets" && r.Method == http.MethodGet:
		f.read(w, r, segs[3])
	case len(segs) == 4 && segs[0] == "api" && segs[2] == "secrets" && r.Method == http.MethodDelete:
		f.calls["delete"]++
		f.remove(w, segs[3])
	case len(segs) == 6 && segs[0] == "api" && segs[2] == "secrets" && segs[4] == "fields" && r.Method == http.MethodGet:
		f.calls["file"]++
		f.file(w, segs[3], segs[5])
	case len(segs) == 6 && segs[0] == "api" && segs[2] == "secrets" && segs[4] == "fields" && r.Method == http.MethodPut:
		f.calls["update"]++
		f.setField(w, r, segs[3], segs[5])
	default:
		ssError(w, http.StatusNotFound, "API_NotFound", "No HTTP resource was found that matches the request URI.")
	}
}

func (f *Server) token(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_request"})
		return
	}
	if r.PostForm.Get("grant_type") != "password" {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if r.PostForm.Get("username") != f.Username || r.PostForm.Get("password") != f.Password || r.PostForm.Get("domain") != f.domain {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "Login failed."})
		return
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	f.tokens[tok] = time.Now().Add(time.Duration(f.expiresIn) * time.Second)
	f.logins++
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": f.expiresIn, "refresh_token": "refresh-" + tok})
}

// read answers GET /api/v1/secrets/{id}, and /api/v1/secrets/0?secretPath=.
func (f *Server) read(w http.ResponseWriter, r *http.Request, idText string) {
	id, err := strconv.Atoi(idText)
	if err != nil {
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The request is invalid.")
		return
	}
	var s *fakeSecret
	if secretPath := r.URL.Query().Get("secretPath"); id == 0 && secretPath != "" {
		f.calls["path"]++
		for _, c := range f.secrets {
			if c.folder+"/"+c.name == secretPath {
				s = c
			}
		}
	} else {
		f.calls["id"]++
		s = f.secrets[id]
	}
	switch {
	case s == nil:
		ssError(w, http.StatusNotFound, "API_SecretNotFound", "Secret not found.")
	case f.denied[s.id]:
		ssError(w, http.StatusForbidden, "API_AccessDenied", "Access Denied")
	default:
		writeJSON(w, s.model())
	}
}

func (s *fakeSecret) model() map[string]any {
	items := make([]map[string]any, len(s.items))
	for i, it := range s.items {
		item := map[string]any{"itemId": s.id*100 + i, "fieldId": 300 + i, "fileAttachmentId": nil, "fieldName": it.Name,
			"slug": it.Slug, "fieldDescription": "The " + it.Name + ".", "filename": nil, "itemValue": it.Value,
			"isFile": false, "isNotes": false, "isPassword": it.Slug == "password", "isList": false, "listType": "None"}
		if it.File != nil {
			item["fileAttachmentId"], item["filename"], item["isFile"] = 900+i, it.Slug+".txt", true
			item["itemValue"] = "*** Not Valid For Display ***"
		}
		items[i] = item
	}
	return map[string]any{"id": s.id, "name": s.name, "secretTemplateId": s.template(), "folderId": s.folderNumber(), "active": true,
		"items": items, "launcherConnectAsSecretId": nil, "checkOutMinutesRemaining": nil, "checkedOut": false,
		"checkOutUserDisplayName": "", "checkOutUserId": nil, "isRestricted": false, "isOutOfSync": false, "outOfSyncReason": "",
		"autoChangeEnabled": false, "autoChangeNextPassword": nil, "requiresApprovalForAccess": false, "requiresComment": false,
		"checkOutEnabled": false, "checkOutIntervalMinutes": nil, "checkOutChangePasswordEnabled": false, "accessRequestWorkflowMapId": nil,
		"proxyEnabled": false, "sessionRecordingEnabled": false, "restrictSshCommands": false, "allowOwnersUnrestrictedSshCommands": false,
		"isDoubleLock": false, "doubleLockId": nil, "enableInheritPermissions": true, "passwordTypeWebScriptId": nil, "siteId": 1,
		"enableInheritSecretPolicy": true, "secretPolicyId": nil, "lastHeartBeatStatus": "Pending", "lastHeartBeatCheck": nil,
		"failedPasswordChangeAttempts": 0, "lastPasswordChangeAttempt": nil, "secretTemplateName": "Ferry Test", "responseCodes": nil,
		"webLauncherRequiresIncognitoMode": false}
}

// search answers GET /api/v1/secrets: a case-insensitive "contains" match of
// filter.searchText on the name, ordered by name, a page of skip and take.
func (f *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text := strings.ToLower(q.Get("filter.searchText"))
	if field := q.Get("filter.searchField"); field != "" && field != "Name" {
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The fake searches names only.")
		return
	}
	var found []*fakeSecret
	for _, s := range f.secrets {
		folder := q.Get("filter.folderId")
		if strings.Contains(strings.ToLower(s.name), text) && (folder == "" || folder == strconv.Itoa(s.folderNumber())) {
			found = append(found, s)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].name < found[j].name })
	skip, _ := strconv.Atoi(q.Get("skip"))
	take, err := strconv.Atoi(q.Get("take"))
	if err != nil || take <= 0 {
		take = 10
	}
	page := found[min(skip, len(found)):min(skip+take, len(found))]
	records := make([]map[string]any, len(page))
	for i, s := range page {
		records[i] = map[string]any{"id": s.id, "name": s.name, "secretTemplateId": s.template(), "secretTemplateName": "Ferry Test",
			"folderId": s.folderNumber(), "siteId": 1, "active": true, "checkedOut": false, "isRestricted": false, "isOutOfSync": false,
			"lastHeartBeatStatus": "Pending", "lastPasswordChangeAttempt": "0001-01-01T00:00:00", "responseCodes": nil,
			"lastAccessed": nil, "extendedFields": nil, "checkOutEnabled": false, "autoChangeEnabled": false,
			"doubleLockEnabled": false, "requiresApproval": false, "requiresComment": false, "inheritsPermissions": true,
			"hidePassword": false, "createDate": "2026-01-01T00:00:00", "daysUntilExpiration": nil, "hasLauncher": false}
	}
	writeJSON(w, map[string]any{"records": records, "skip": skip, "take": take, "total": len(found), "pageCount": 1,
		"currentPage": 1, "batchCount": 1, "prevSkip": 0, "nextSkip": skip + take, "hasPrev": skip > 0,
		"hasNext": skip+take < len(found), "sortBy": []any{}, "success": true, "severity": "None"})
}

// file answers GET /api/v1/secrets/{id}/fields/{slug} with the file's bytes.
func (f *Server) file(w http.ResponseWriter, idText, slug string) {
	id, _ := strconv.Atoi(idText)
	s := f.secrets[id]
	if s == nil {
		ssError(w, http.StatusNotFound, "API_SecretNotFound", "Secret not found.")
		return
	}
	for _, it := range s.items {
		if it.Slug == slug && it.File != nil {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(it.File)
			return
		}
	}
	ssError(w, http.StatusNotFound, "API_FieldNotFound", "Field not found.")
}

func (s *fakeSecret) folderNumber() int {
	if s.folderID != 0 {
		return s.folderID
	}
	return len(s.folder)
}

func (s *fakeSecret) template() int {
	if s.templateID != 0 {
		return s.templateID
	}
	return 6003
}

// stub answers GET /api/v1/secrets/stub: a new secret of the template, in the folder, with
// empty items, for the caller to fill in and post.
func (f *Server) stub(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	templateID, err1 := strconv.Atoi(q.Get("secretTemplateId"))
	folderID, err2 := strconv.Atoi(q.Get("folderId"))
	fields, ok := f.templates[templateID]
	switch {
	case err1 != nil || err2 != nil:
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The request is invalid.")
		return
	case !ok:
		ssError(w, http.StatusNotFound, "API_SecretTemplateNotFound", "Secret Template not found.")
		return
	}
	items := make([]Item, len(fields))
	copy(items, fields)
	stub := (&fakeSecret{folderID: folderID, templateID: templateID, items: items}).model()
	stub["name"] = ""
	writeJSON(w, stub)
}

// create answers POST /api/v1/secrets: the secret model, with a name, a folder, a known
// template and items naming its fields by fieldId.
func (f *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name             string `json:"name"`
		FolderID         int    `json:"folderId"`
		SecretTemplateID int    `json:"secretTemplateId"`
		SiteID           int    `json:"siteId"`
		Items            []struct {
			FieldID   int    `json:"fieldId"`
			ItemValue string `json:"itemValue"`
		} `json:"items"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Name == "" || in.SiteID <= 0 {
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The request is invalid: name and siteId are required.")
		return
	}
	fields, ok := f.templates[in.SecretTemplateID]
	if !ok {
		ssError(w, http.StatusBadRequest, "API_SecretTemplateNotFound", "Secret Template not found.")
		return
	}
	items := make([]Item, len(fields))
	copy(items, fields)
	for _, it := range in.Items {
		if it.FieldID < 300 || it.FieldID >= 300+len(items) {
			ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The field is not on the template.")
			return
		}
		items[it.FieldID-300].Value = it.ItemValue
	}
	f.nextID++
	s := &fakeSecret{id: f.nextID, name: in.Name, folder: f.folders[in.FolderID], folderID: in.FolderID, templateID: in.SecretTemplateID, items: items}
	f.secrets[s.id] = s
	writeJSON(w, s.model())
}

// setField answers PUT /api/v1/secrets/{id}/fields/{slug} with {"value": ...}.
func (f *Server) setField(w http.ResponseWriter, r *http.Request, idText, slug string) {
	id, _ := strconv.Atoi(idText)
	s := f.secrets[id]
	var in struct {
		Value *string `json:"value"`
	}
	switch {
	case s == nil:
		ssError(w, http.StatusNotFound, "API_SecretNotFound", "Secret not found.")
		return
	case f.denied[id]:
		ssError(w, http.StatusForbidden, "API_AccessDenied", "Access Denied")
		return
	case json.NewDecoder(r.Body).Decode(&in) != nil || in.Value == nil:
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The request is invalid.")
		return
	}
	for i := range s.items {
		if s.items[i].Slug == slug {
			s.items[i].Value = *in.Value
			writeJSON(w, *in.Value)
			return
		}
	}
	ssError(w, http.StatusNotFound, "API_FieldNotFound", "Field not found.")
}

// remove answers DELETE /api/v1/secrets/{id}.
func (f *Server) remove(w http.ResponseWriter, idText string) {
	id, _ := strconv.Atoi(idText)
	switch {
	case f.secrets[id] == nil:
		ssError(w, http.StatusNotFound, "API_SecretNotFound", "Secret not found.")
	case f.denied[id]:
		ssError(w, http.StatusForbidden, "API_AccessDenied", "Access Denied")
	default:
		delete(f.secrets, id)
		writeJSON(w, map[string]any{"id": id, "objectType": "Secret", "responseCodes": []any{}})
	}
}

// Field returns the value of the field slug of the secret named name, and whether it
// exists.
func (f *Server) Field(name, slug string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.secrets {
		if s.name != name {
			continue
		}
		for _, it := range s.items {
			if it.Slug == slug {
				return it.Value, true
			}
		}
	}
	return "", false
}

// folder answers GET /api/v1/folders/{id}, with the path written as Secret Server writes
// it, with backslashes.
func (f *Server) folder(w http.ResponseWriter, idText string) {
	id, _ := strconv.Atoi(idText)
	p, ok := f.folders[id]
	if !ok {
		ssError(w, http.StatusNotFound, "API_FolderNotFound", "Folder not found.")
		return
	}
	writeJSON(w, map[string]any{"id": id, "folderName": p[strings.LastIndex(p, "/")+1:], "folderPath": strings.ReplaceAll(p, "/", `\`),
		"parentFolderId": -1, "folderTypeId": 1, "secretPolicyId": -1, "inheritSecretPolicy": true, "inheritPermissions": true})
}
