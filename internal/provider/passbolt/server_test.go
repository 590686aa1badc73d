package passbolt

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// fakePassbolt is an in-process Passbolt server on loopback, speaking HTTPS, written from
// Passbolt's public API reference and developer guide ("Authenticating with the API",
// GPGAuth; "Response format"; resources, secrets, resource types and metadata keys):
//
//   - POST /auth/login.json, GPGAuth stage 1: {"gpg_auth":{"keyid":<fingerprint>}}; the
//     server encrypts "gpgauthv1.3.0|36|<uuid>|gpgauthv1.3.0" to the user's key and sends
//     it in X-GPGAuth-User-Auth-Token URL-encoded and then escaped with PHP's quotemeta
//     (as Passbolt's GpgAuthenticator does), with an error envelope ("The authentication
//     failed."), as go-passbolt expects of stage 1. Stage 2 adds
//     user_token_result; the server checks it is the token it issued to that key, unused
//     and fresh, and answers X-GPGAuth-Authenticated: true with a passbolt_session cookie.
//   - GET /auth/verify.json gives the server's public key (body.fingerprint, keydata).
//   - GET /resources/{id}.json, /resources.json, /secrets/resource/{id}.json,
//     /resource-types.json, /metadata/keys.json?contain[metadata_private_keys]=1 with the
//     session cookie; every answer is {"header":{id,status,servertime,action,message,url,
//     code},"body":...}; no session is 403 "You need to login to access this location.", an
//     ID that is not a UUID 400, a resource that does not exist (or is deleted) 404.
//
// Secrets and v5 metadata are OpenPGP messages encrypted to the user's public key (or to
// the shared metadata key) and signed by the server's key. No Passbolt emulator exists;
// this stands in for the server.
type fakePassbolt struct {
	srv *httptest.Server

	serverKey *openpgp.Entity
	// userPublic is the user's public key, as the server holds it, by fingerprint.
	userPublic map[string]*openpgp.Entity

	mu       sync.Mutex
	tokens   map[string]issuedToken // fingerprint → the stage 1 token
	sessions map[string]bool        // session cookie values the server accepts
	logins   int
	calls    map[string]int // "METHOD path" → count
	// resources by ID, in creation order in order.
	resources map[string]*fakeResource
	order     []string
	types     map[string]string // resource type ID → slug
	// metadataKey is the shared metadata key; its private part is encrypted to the user.
	metadataKey   *openpgp.Entity
	metadataKeyID string
	// stage1Status is the HTTP status of stage 1's answer.
	stage1Status int
	// noSession answers a request without a valid session: Passbolt's GPGAuth sessions
	// get 403 "You need to login to access this location."; 401 is what a JWT server
	// answers, accepted too.
	noSession func(w http.ResponseWriter, r *http.Request)
	// fault, when set, answers an authenticated request instead of the server.
	fault http.HandlerFunc
}

type issuedToken struct {
	token   string
	expires time.Time
}

type fakeResource struct {
	// v4 fields in clear, or the v5 metadata message.
	fields  map[string]any
	secret  string // armored message
	deleted bool
}

// Resource type IDs, as a server lists them.
var fakeTypeIDs = map[string]string{
	"password-string":          "a28a04cd-6f53-518a-967c-9963bf9cec51",
	"password-and-description": "669f8c64-242a-59fb-92fc-81f660975fd3",
	"v5-default":               "4b1d4f1f-8a3e-4f7b-9a2c-3f1e7a5b6c8d",
	"v5-password-string":       "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
}

func genKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatalf("generating a key: %v", err)
	}
	return e
}

// armoredPrivate is e's private key, encrypted with passphrase, armored, as a user
// downloads it from Passbolt.
func armoredPrivate(t testing.TB, e *openpgp.Entity, passphrase string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := e.DecryptPrivateKeys([]byte(passphrase)); err != nil {
				t.Fatal(err)
			}
		}()
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	return buf.Bytes()
}

// publicOnly parses e's public key back, so the server holds no private part of it.
func publicOnly(t testing.TB, e *openpgp.Entity) *openpgp.Entity {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	ring, err := openpgp.ReadKeyRing(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return ring[0]
}

func fingerprint(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }

// seal is plain as an armored OpenPGP message to `to`, signed by signer.
func seal(to, signer *openpgp.Entity, plain []byte) (string, error) {
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		return "", err
	}
	pw, err := openpgp.Encrypt(aw, []*openpgp.Entity{to}, signer, nil, nil)
	if err != nil {
		return "", err
	}
	if _, err := pw.Write(plain); err != nil {
		return "", err
	}
	if err := pw.Close(); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func encryptTo(t testing.TB, to, signer *openpgp.Entity, plain []byte) string {
	t.Helper()
	msg, err := seal(to, signer, plain)
	if err != nil {
		t.Fatalf("encrypting: %v", err)
	}
	return msg
}

// startPassbolt starts the server for the user whose key is user.
func startPassbolt(t testing.TB, user *openpgp.Entity) *fakePassbolt {
	t.Helper()
	f := &fakePassbolt{
		serverKey:    genKey(t, "passbolt-server"),
		userPublic:   map[string]*openpgp.Entity{},
		tokens:       map[string]issuedToken{},
		sessions:     map[string]bool{},
		calls:        map[string]int{},
		resources:    map[string]*fakeResource{},
		types:        map[string]string{},
		stage1Status: http.StatusForbidden,
	}
	pub := publicOnly(t, user)
	f.userPublic[fingerprint(pub)] = pub
	for slug, id := range fakeTypeIDs {
		f.types[id] = slug
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	// TestTrust's refused handshakes are expected: keep them out of the test output.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

// caPEM is the PEM of the server's certificate, for a store's caBundle.
func (f *fakePassbolt) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (f *fakePassbolt) user(t testing.TB) *openpgp.Entity {
	t.Helper()
	for _, u := range f.userPublic {
		return u
	}
	t.Fatal("the server has no user")
	return nil
}

// addV4 stores a v4 resource of type slug (password-string or password-and-description)
// with its fields in clear and its secret encrypted to the user, and returns its ID.
func (f *fakePassbolt) addV4(t testing.TB, slug string, e entry) string {
	t.Helper()
	var secret []byte
	if slug == "password-string" {
		secret = []byte(e.Password)
	} else {
		secret, _ = json.Marshal(map[string]string{"password": e.Password, "description": e.Description})
	}
	fields := map[string]any{"name": e.Name, "username": e.Username, "uri": e.URI, "description": nil,
		"resource_type_id": fakeTypeIDs[slug]}
	if slug == "password-string" {
		fields["description"] = e.Description
	}
	return f.add(encryptTo(t, f.user(t), f.serverKey, secret), fields)
}

// addV5 stores a v5-default resource: name, username and uris in metadata encrypted to the
// user's key (shared false) or to the shared metadata key (shared true); password and
// description in the secret.
func (f *fakePassbolt) addV5(t testing.TB, e entry, shared bool) string {
	t.Helper()
	md, _ := json.Marshal(map[string]any{"object_type": "PASSBOLT_RESOURCE_METADATA", "resource_type_id": fakeTypeIDs["v5-default"],
		"name": e.Name, "username": e.Username, "uris": []string{e.URI}})
	secret, _ := json.Marshal(map[string]string{"object_type": "PASSBOLT_SECRET_DATA", "password": e.Password, "description": e.Description})
	fields := map[string]any{"name": nil, "username": nil, "uri": nil, "description": nil, "resource_type_id": fakeTypeIDs["v5-default"]}
	if shared {
		f.mu.Lock()
		key, keyID := f.metadataKey, f.metadataKeyID
		f.mu.Unlock()
		if key == nil {
			t.Fatal("no shared metadata key: call withMetadataKey first")
		}
		fields["metadata"], fields["metadata_key_id"], fields["metadata_key_type"] = encryptTo(t, key, f.serverKey, md), keyID, "shared_key"
	} else {
		fields["metadata"], fields["metadata_key_id"], fields["metadata_key_type"] = encryptTo(t, f.user(t), f.serverKey, md), nil, "user_key"
	}
	return f.add(encryptTo(t, f.user(t), f.serverKey, secret), fields)
}

// withMetadataKey makes the organisation's shared metadata key, as Passbolt v5 servers
// keep it: public, and its private part encrypted to each user.
func (f *fakePassbolt) withMetadataKey(t testing.TB) {
	t.Helper()
	key := genKey(t, "passbolt-metadata")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metadataKey, f.metadataKeyID = key, newUUID()
}

func (f *fakePassbolt) add(secret string, fields map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := newUUID()
	fields["id"] = id
	f.resources[id] = &fakeResource{fields: fields, secret: secret}
	f.order = append(f.order, id)
	return id
}

// remove deletes a resource, as Passbolt does: it is kept, marked deleted, and no longer served.
func (f *fakePassbolt) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.resources[id]; r != nil {
		r.deleted = true
	}
}

// expireSessions ends every session, as the server's session timeout does.
func (f *fakePassbolt) expireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]bool{}
}

// Logins counts the logins the server completed (stage 2 accepted).
func (f *fakePassbolt) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// Calls counts the requests of method and path.
func (f *fakePassbolt) Calls(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method+" "+path]
}

// reply writes Passbolt's envelope.
func reply(w http.ResponseWriter, r *http.Request, code int, message string, body any) {
	status := "success"
	if code >= 400 {
		status = "error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"header": map[string]any{"id": newUUID(), "status": status, "servertime": time.Now().Unix(), "action": newUUID(),
			"message": message, "url": r.URL.RequestURI(), "code": code},
		"body": body,
	})
}

var (
	resourcePath = regexp.MustCompile(`^/resources/([^/]+)\.json$`)
	secretPath   = regexp.MustCompile(`^/secrets/resource/([^/]+)\.json$`)
	uuidForm     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

func (f *fakePassbolt) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.Method+" "+r.URL.Path]++
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/auth/login.json" && r.Method == http.MethodPost:
		f.serveLogin(w, r)
		return
	case r.URL.Path == "/auth/verify.json" && r.Method == http.MethodGet:
		var buf bytes.Buffer
		aw, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
		_ = f.serverKey.Serialize(aw)
		_ = aw.Close()
		reply(w, r, http.StatusOK, "The operation was successful.", map[string]string{"fingerprint": fingerprint(f.serverKey), "keydata": buf.String()})
		return
	}
	if !f.authenticated(r) {
		if f.noSession != nil {
			f.noSession(w, r)
			return
		}
		reply(w, r, http.StatusForbidden, "You need to login to access this location.", nil)
		return
	}
	f.mu.Lock()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil {
		fault(w, r)
		return
	}
	if r.Method != http.MethodGet {
		reply(w, r, http.StatusMethodNotAllowed, "Method not allowed.", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := resourcePath.FindStringSubmatch(r.URL.Path); m != nil {
		res, code, msg := f.lookup(m[1])
		if res == nil {
			reply(w, r, code, msg, nil)
			return
		}
		reply(w, r, http.StatusOK, "The operation was successful.", res.fields)
		return
	}
	if m := secretPath.FindStringSubmatch(r.URL.Path); m != nil {
		res, code, msg := f.lookup(m[1])
		if res == nil {
			reply(w, r, code, msg, nil)
			return
		}
		reply(w, r, http.StatusOK, "The operation was successful.", map[string]any{"id": newUUID(), "resource_id": m[1], "data": res.secret})
		return
	}
	switch r.URL.Path {
	case "/resources.json":
		list := []map[string]any{}
		for _, id := range f.order {
			if res := f.resources[id]; !res.deleted {
				list = append(list, res.fields)
			}
		}
		reply(w, r, http.StatusOK, "The operation was successful.", list)
	case "/resource-types.json":
		list := []map[string]any{}
		for id, slug := range f.types {
			list = append(list, map[string]any{"id": id, "slug": slug, "name": slug, "definition": map[string]any{}})
		}
		reply(w, r, http.StatusOK, "The operation was successful.", list)
	case "/metadata/keys.json":
		list := []map[string]any{}
		if f.metadataKey != nil {
			key := map[string]any{"id": f.metadataKeyID, "fingerprint": fingerprint(f.metadataKey)}
			if r.URL.Query().Get("contain[metadata_private_keys]") == "1" {
				var buf bytes.Buffer
				aw, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
				_ = f.metadataKey.SerializePrivateWithoutSigning(aw, nil)
				_ = aw.Close()
				plain, _ := json.Marshal(map[string]string{"object_type": "PASSBOLT_METADATA_PRIVATE_KEY",
					"fingerprint": fingerprint(f.metadataKey), "armored_key": buf.String(), "passphrase": ""})
				var user *openpgp.Entity
				for _, u := range f.userPublic {
					user = u
				}
				data, err := seal(user, f.serverKey, plain)
				if err != nil {
					reply(w, r, http.StatusInternalServerError, "Encryption failed.", nil)
					return
				}
				key["metadata_private_keys"] = []map[string]any{{"id": newUUID(), "metadata_key_id": f.metadataKeyID, "data": data}}
			}
			list = append(list, key)
		}
		reply(w, r, http.StatusOK, "The operation was successful.", list)
	default:
		reply(w, r, http.StatusNotFound, "Page not found.", nil)
	}
}

// lookup finds a resource the user may read; f.mu is held.
func (f *fakePassbolt) lookup(id string) (*fakeResource, int, string) {
	if !uuidForm.MatchString(id) {
		return nil, http.StatusBadRequest, "The resource identifier should be a valid UUID."
	}
	res := f.resources[id]
	if res == nil || res.deleted {
		return nil, http.StatusNotFound, "The resource does not exist."
	}
	return res, 0, ""
}

func (f *fakePassbolt) authenticated(r *http.Request) bool {
	c, err := r.Cookie("passbolt_session")
	if err != nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[c.Value]
}

func (f *fakePassbolt) serveLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GPGAuth struct {
			KeyID     string `json:"keyid"`
			UserToken string `json:"user_token_result"`
		} `json:"gpg_auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GPGAuth.KeyID == "" {
		w.Header().Set("X-GPGAuth-Error", "true")
		w.Header().Set("X-GPGAuth-Debug", "No key id set.")
		reply(w, r, http.StatusBadRequest, "The authentication failed.", nil)
		return
	}
	user := f.userPublic[strings.ToUpper(req.GPGAuth.KeyID)]
	w.Header().Set("X-GPGAuth-Version", "1.3.0")
	if user == nil {
		// Passbolt sets X-GPGAuth-Debug ("User not found.") only when its debug mode is on.
		w.Header().Set("X-GPGAuth-Error", "true")
		reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GPGAuth.UserToken == "" {
		token := "gpgauthv1.3.0|36|" + newUUID() + "|gpgauthv1.3.0"
		f.tokens[fingerprint(user)] = issuedToken{token: token, expires: time.Now().Add(5 * time.Minute)}
		w.Header().Set("X-GPGAuth-Progress", "stage1")
		w.Header().Set("X-GPGAuth-Authenticated", "false")
		encrypted, err := seal(user, f.serverKey, []byte(token))
		if err != nil {
			reply(w, r, http.StatusInternalServerError, "Encryption failed.", nil)
			return
		}
		w.Header().Set("X-GPGAuth-User-Auth-Token", quotemeta(url.QueryEscape(encrypted)))
		reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	issued, ok := f.tokens[fingerprint(user)]
	delete(f.tokens, fingerprint(user)) // a token serves once
	if !ok || issued.token != req.GPGAuth.UserToken || time.Now().After(issued.expires) {
		w.Header().Set("X-GPGAuth-Error", "true")
		w.Header().Set("X-GPGAuth-Debug", "The user token result does not match.")
		w.Header().Set("X-GPGAuth-Authenticated", "false")
		reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	session := newUUID()
	f.sessions[session] = true
	f.logins++
	http.SetCookie(w, &http.Cookie{Name: "passbolt_session", Value: session, Path: "/", Secure: true, HttpOnly: true})
	w.Header().Set("X-GPGAuth-Progress", "complete")
	w.Header().Set("X-GPGAuth-Authenticated", "true")
	w.Header().Set("X-GPGAuth-Refer", "/")
	reply(w, r, http.StatusOK, "You are successfully logged in.", map[string]string{"id": newUUID()})
}

// quotemeta is PHP's quotemeta, which Passbolt applies to the URL-encoded token: a
// backslash before each of . \ + * ? [ ^ ] $ ( ).
func quotemeta(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`.\+*?[^]$()`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
