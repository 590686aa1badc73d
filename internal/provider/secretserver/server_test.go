package secretserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSS is an in-process Delinea Secret Server, written from its public REST API
// reference: the OAuth2 password grant at /oauth2/token (form-encoded, with an optional
// domain), and, with a bearer token, GET /api/v1/secrets/{id}, /api/v1/secrets/0?secretPath=,
// the search /api/v1/secrets?filter.searchText=&filter.searchField=&skip=&take=, file
// fields at /api/v1/secrets/{id}/fields/{slug} and /api/v1/users/current, with camelCase
// models and {"errorCode", "message"} error bodies. No Secret Server runs on the build
// machine, so it stands in for the real service. It is served below /SecretServer, as an
// on-premises install is.
type fakeSS struct {
	srv                        *httptest.Server
	username, password, domain string
	// staticToken is a token the server accepts without a login, as one an administrator
	// issued.
	staticToken string

	mu      sync.Mutex
	secrets map[int]*fakeSecret
	nextID  int
	tokens  map[string]time.Time
	logins  int
	// calls counts the API calls (not the logins) by kind: "id", "path", "search", "file",
	// "user".
	calls map[string]int
	// denied lists the ids the user may not view.
	denied map[int]bool
	// expiresIn is the token life the token endpoint announces, in seconds.
	expiresIn int
}

type fakeSecret struct {
	id     int
	name   string
	folder string // a folder path such as "/Apps/Prod", "" for the root
	items  []fakeItem
}

type fakeItem struct {
	name, slug, value string
	// file, when set, makes the item a file field holding it.
	file []byte
}

const fakeBase = "/SecretServer"

func startSS(t *testing.T) *fakeSS {
	t.Helper()
	f := newSS()
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func newSS() *fakeSS {
	return &fakeSS{username: "svc-ferry", password: "user-password-1", staticToken: "static-token-1",
		secrets: map[int]*fakeSecret{}, nextID: 40, tokens: map[string]time.Time{}, calls: map[string]int{},
		denied: map[int]bool{}, expiresIn: 1200}
}

func (f *fakeSS) url() string { return f.srv.URL + fakeBase }

// Logins counts the tokens issued.
func (f *fakeSS) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func (f *fakeSS) callCount(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[kind]
}

// put stores a secret and returns its id.
func (f *fakeSS) put(folder, name string, items ...fakeItem) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.secrets[f.nextID] = &fakeSecret{id: f.nextID, name: name, folder: folder, items: items}
	return f.nextID
}

// removeNamed deletes every secret named name.
func (f *fakeSS) removeNamed(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.secrets {
		if s.name == name {
			delete(f.secrets, id)
		}
	}
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

func (f *fakeSS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if r.Method != http.MethodGet {
		ssError(w, http.StatusMethodNotAllowed, "API_MethodNotAllowed", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := f.tokens[bearer]; (!ok || time.Now().After(exp)) && (f.staticToken == "" || bearer != f.staticToken) {
		ssError(w, http.StatusUnauthorized, "API_AuthenticationFailed", "Authentication failed or token expired.")
		return
	}
	segs := strings.Split(path, "/")
	switch {
	case path == "api/v1/users/current":
		f.calls["user"]++
		writeJSON(w, map[string]any{"id": 7, "userName": f.username, "displayName": "Ferry", "enabled": true})
	case path == "api/v1/secrets":
		f.calls["search"]++
		f.search(w, r)
	case len(segs) == 4 && segs[0] == "api" && segs[2] == "secrets":
		f.read(w, r, segs[3])
	case len(segs) == 6 && segs[0] == "api" && segs[2] == "secrets" && segs[4] == "fields":
		f.calls["file"]++
		f.file(w, segs[3], segs[5])
	default:
		ssError(w, http.StatusNotFound, "API_NotFound", "No HTTP resource was found that matches the request URI.")
	}
}

func (f *fakeSS) token(w http.ResponseWriter, r *http.Request) {
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
	if r.PostForm.Get("username") != f.username || r.PostForm.Get("password") != f.password || r.PostForm.Get("domain") != f.domain {
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
func (f *fakeSS) read(w http.ResponseWriter, r *http.Request, idText string) {
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
		item := map[string]any{"itemId": s.id*100 + i, "fieldId": 300 + i, "fileAttachmentId": nil, "fieldName": it.name,
			"slug": it.slug, "fieldDescription": "The " + it.name + ".", "filename": nil, "itemValue": it.value,
			"isFile": false, "isNotes": false, "isPassword": it.slug == "password", "isList": false, "listType": "None"}
		if it.file != nil {
			item["fileAttachmentId"], item["filename"], item["isFile"] = 900+i, it.slug+".txt", true
			item["itemValue"] = "*** Not Valid For Display ***"
		}
		items[i] = item
	}
	return map[string]any{"id": s.id, "name": s.name, "secretTemplateId": 6003, "folderId": len(s.folder), "active": true,
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
func (f *fakeSS) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text := strings.ToLower(q.Get("filter.searchText"))
	if field := q.Get("filter.searchField"); field != "" && field != "Name" {
		ssError(w, http.StatusBadRequest, "API_InvalidParameter", "The fake searches names only.")
		return
	}
	var found []*fakeSecret
	for _, s := range f.secrets {
		if strings.Contains(strings.ToLower(s.name), text) {
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
		records[i] = map[string]any{"id": s.id, "name": s.name, "secretTemplateId": 6003, "secretTemplateName": "Ferry Test",
			"folderId": len(s.folder), "siteId": 1, "active": true, "checkedOut": false, "isRestricted": false, "isOutOfSync": false,
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
func (f *fakeSS) file(w http.ResponseWriter, idText, slug string) {
	id, _ := strconv.Atoi(idText)
	s := f.secrets[id]
	if s == nil {
		ssError(w, http.StatusNotFound, "API_SecretNotFound", "Secret not found.")
		return
	}
	for _, it := range s.items {
		if it.slug == slug && it.file != nil {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(it.file)
			return
		}
	}
	ssError(w, http.StatusNotFound, "API_FieldNotFound", "Field not found.")
}
