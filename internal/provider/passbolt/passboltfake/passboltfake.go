package passboltfake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Entry is a resource as a user fills it in.
type Entry struct {
	Name        string
	Username    string
	Password    string
	URI         string
	Description string
}

// Start serves a stand-in over TLS on a free loopback port for the user whose key is
// user (only its public part is kept); Close stops it.
func Start(user *openpgp.Entity) (*Server, error) {
	serverKey, err := GenerateKey("passbolt-server")
	if err != nil {
		return nil, err
	}
	f := &Server{
		serverKey:    serverKey,
		userPublic:   map[string]*openpgp.Entity{},
		tokens:       map[string]issuedToken{},
		sessions:     map[string]bool{},
		calls:        map[string]int{},
		resources:    map[string]*resource{},
		types:        map[string]string{},
		stage1Status: http.StatusForbidden,
	}
	pub, err := publicOnly(user)
	if err != nil {
		return nil, err
	}
	f.userPublic[Fingerprint(pub)] = pub
	for slug, id := range TypeIDs {
		f.types[id] = slug
	}
	srv, err := fakehttp.StartTLS(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// GenerateKey makes an EdDSA OpenPGP key for name.
func GenerateKey(name string) (*openpgp.Entity, error) {
	return openpgp.NewEntity(name, "", name+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
}

// ArmoredPrivate is e's private key, encrypted with passphrase, armored, as a user
// downloads it from Passbolt; e is left decrypted.
func ArmoredPrivate(e *openpgp.Entity, passphrase string) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, err
	}
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			return nil, err
		}
		defer func() { _ = e.DecryptPrivateKeys([]byte(passphrase)) }()
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// publicOnly parses e's public key back, so the server holds no private part of it.
func publicOnly(e *openpgp.Entity) (*openpgp.Entity, error) {
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return nil, err
	}
	ring, err := openpgp.ReadKeyRing(&buf)
	if err != nil {
		return nil, err
	}
	return ring[0], nil
}

// user is the one user's public key.
func (f *Server) user() *openpgp.Entity {
	for _, u := range f.userPublic {
		return u
	}
	return nil
}

// ServerKey is the server's key, which signs what it encrypts.
func (f *Server) ServerKey() *openpgp.Entity { return f.serverKey }

// SetStage1Status sets the HTTP status of GPGAuth stage 1's answer (403 unless set).
func (f *Server) SetStage1Status(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stage1Status = status
}

// SetNoSession has answer reply to every request without a valid session.
func (f *Server) SetNoSession(answer func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noSession = answer
}

// SetFault has fault answer every authenticated request; nil removes it.
func (f *Server) SetFault(fault http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Server is a running stand-in for one user.
type Server struct {
	*fakehttp.Server

	serverKey *openpgp.Entity
	// userPublic is the user's public key, as the server holds it, by fingerprint.
	userPublic map[string]*openpgp.Entity

	mu       sync.Mutex
	tokens   map[string]issuedToken // fingerprint → the stage 1 token
	sessions map[string]bool        // session cookie values the server accepts
	logins   int
	calls    map[string]int // "METHOD path" → count
	// resources by ID, in creation order in order.
	resources map[string]*resource
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

type resource struct {
	// v4 fields in clear, or the v5 metadata message.
	fields  map[string]any
	secret  string // armored message
	deleted bool
}

// TypeIDs are the resource type IDs by slug, as a server lists them.
var TypeIDs = map[string]string{
	"password-string":          "a28a04cd-6f53-518a-967c-9963bf9cec51",
	"password-and-description": "669f8c64-242a-59fb-92fc-81f660975fd3",
	"v5-default":               "4b1d4f1f-8a3e-4f7b-9a2c-3f1e7a5b6c8d",
	"v5-password-string":       "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
}

// Fingerprint is e's fingerprint in upper-case hex, as Passbolt names keys.
func Fingerprint(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }

// Seal is plain as an armored OpenPGP message to `to`, signed by signer.
func Seal(to, signer *openpgp.Entity, plain []byte) (string, error) {
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

// NewUUID makes a random UUID, the shape of Passbolt's IDs.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AddV4 stores a v4 resource of type slug (password-string or password-and-description)
// with its fields in clear and its secret encrypted to the user, and returns its ID.
func (f *Server) AddV4(slug string, e Entry) (string, error) {
	var secret []byte
	if slug == "password-string" {
		secret = []byte(e.Password)
	} else {
		secret, _ = json.Marshal(map[string]string{"password": e.Password, "description": e.Description})
	}
	fields := map[string]any{"name": e.Name, "username": e.Username, "uri": e.URI, "description": nil,
		"resource_type_id": TypeIDs[slug]}
	if slug == "password-string" {
		fields["description"] = e.Description
	}
	msg, err := Seal(f.user(), f.serverKey, secret)
	if err != nil {
		return "", err
	}
	return f.Add(msg, fields), nil
}

// AddV5 stores a v5-default resource: name, username and uris in metadata encrypted to the
// user's key (shared false) or to the shared metadata key (shared true, after
// WithMetadataKey); password and description in the secret.
func (f *Server) AddV5(e Entry, shared bool) (string, error) {
	md, _ := json.Marshal(map[string]any{"object_type": "PASSBOLT_RESOURCE_METADATA", "resource_type_id": TypeIDs["v5-default"],
		"name": e.Name, "username": e.Username, "uris": []string{e.URI}})
	secret, _ := json.Marshal(map[string]string{"object_type": "PASSBOLT_SECRET_DATA", "password": e.Password, "description": e.Description})
	fields := map[string]any{"name": nil, "username": nil, "uri": nil, "description": nil, "resource_type_id": TypeIDs["v5-default"]}
	to, keyID, keyType := f.user(), any(nil), "user_key"
	if shared {
		f.mu.Lock()
		key, id := f.metadataKey, f.metadataKeyID
		f.mu.Unlock()
		if key == nil {
			return "", errors.New("no shared metadata key: call WithMetadataKey first")
		}
		to, keyID, keyType = key, id, "shared_key"
	}
	metadata, err := Seal(to, f.serverKey, md)
	if err != nil {
		return "", err
	}
	fields["metadata"], fields["metadata_key_id"], fields["metadata_key_type"] = metadata, keyID, keyType
	sealed, err := Seal(f.user(), f.serverKey, secret)
	if err != nil {
		return "", err
	}
	return f.Add(sealed, fields), nil
}

// WithMetadataKey makes the organisation's shared metadata key, as Passbolt v5 servers
// keep it: public, and its private part encrypted to each user.
func (f *Server) WithMetadataKey() error {
	key, err := GenerateKey("passbolt-metadata")
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metadataKey, f.metadataKeyID = key, NewUUID()
	return nil
}

// Add stores a resource of the given fields (an "id" is added) and armored secret message,
// and returns its ID.
func (f *Server) Add(secret string, fields map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := NewUUID()
	fields["id"] = id
	f.resources[id] = &resource{fields: fields, secret: secret}
	f.order = append(f.order, id)
	return id
}

// Remove deletes a resource, as Passbolt does: it is kept, marked deleted, and no longer served.
func (f *Server) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.resources[id]; r != nil {
		r.deleted = true
	}
}

// ExpireSessions ends every session, as the server's session timeout does.
func (f *Server) ExpireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]bool{}
}

// Logins counts the logins the server completed (stage 2 accepted).
func (f *Server) Logins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// Calls counts the requests of method and path.
func (f *Server) Calls(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method+" "+path]
}

// Reply writes Passbolt's envelope.
func Reply(w http.ResponseWriter, r *http.Request, code int, message string, body any) {
	status := "success"
	if code >= 400 {
		status = "error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"header": map[string]any{"id": NewUUID(), "status": status, "servertime": time.Now().Unix(), "action": NewUUID(),
			"message": message, "url": r.URL.RequestURI(), "code": code},
		"body": body,
	})
}

var (
	resourcePath = regexp.MustCompile(`^/resources/([^/]+)\.json$`)
	secretPath   = regexp.MustCompile(`^/secrets/resource/([^/]+)\.json$`)
	uuidForm     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
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
		Reply(w, r, http.StatusOK, "The operation was successful.", map[string]string{"fingerprint": Fingerprint(f.serverKey), "keydata": buf.String()})
		return
	}
	if !f.authenticated(r) {
		f.mu.Lock()
		noSession := f.noSession
		f.mu.Unlock()
		if noSession != nil {
			noSession(w, r)
			return
		}
		Reply(w, r, http.StatusForbidden, "You need to login to access this location.", nil)
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
		Reply(w, r, http.StatusMethodNotAllowed, "Method not allowed.", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := resourcePath.FindStringSubmatch(r.URL.Path); m != nil {
		res, code, msg := f.lookup(m[1])
		if res == nil {
			Reply(w, r, code, msg, nil)
			return
		}
		Reply(w, r, http.StatusOK, "The operation was successful.", res.fields)
		return
	}
	if m := secretPath.FindStringSubmatch(r.URL.Path); m != nil {
		res, code, msg := f.lookup(m[1])
		if res == nil {
			Reply(w, r, code, msg, nil)
			return
		}
		Reply(w, r, http.StatusOK, "The operation was successful.", map[string]any{"id": NewUUID(), "resource_id": m[1], "data": res.secret})
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
		Reply(w, r, http.StatusOK, "The operation was successful.", list)
	case "/resource-types.json":
		list := []map[string]any{}
		for id, slug := range f.types {
			list = append(list, map[string]any{"id": id, "slug": slug, "name": slug, "definition": map[string]any{}})
		}
		Reply(w, r, http.StatusOK, "The operation was successful.", list)
	case "/metadata/keys.json":
		list := []map[string]any{}
		if f.metadataKey != nil {
			key := map[string]any{"id": f.metadataKeyID, "fingerprint": Fingerprint(f.metadataKey)}
			if r.URL.Query().Get("contain[metadata_private_keys]") == "1" {
				var buf bytes.Buffer
				aw, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
				_ = f.metadataKey.SerializePrivateWithoutSigning(aw, nil)
				_ = aw.Close()
				plain, _ := json.Marshal(map[string]string{"object_type": "PASSBOLT_METADATA_PRIVATE_KEY",
					"fingerprint": Fingerprint(f.metadataKey), "armored_key": buf.String(), "passphrase": ""})
				var user *openpgp.Entity
				for _, u := range f.userPublic {
					user = u
				}
				data, err := Seal(user, f.serverKey, plain)
				if err != nil {
					Reply(w, r, http.StatusInternalServerError, "Encryption failed.", nil)
					return
				}
				key["metadata_private_keys"] = []map[string]any{{"id": NewUUID(), "metadata_key_id": f.metadataKeyID, "data": data}}
			}
			list = append(list, key)
		}
		Reply(w, r, http.StatusOK, "The operation was successful.", list)
	default:
		Reply(w, r, http.StatusNotFound, "Page not found.", nil)
	}
}

// lookup finds a resource the user may read; f.mu is held.
func (f *Server) lookup(id string) (*resource, int, string) {
	if !uuidForm.MatchString(id) {
		return nil, http.StatusBadRequest, "The resource identifier should be a valid UUID."
	}
	res := f.resources[id]
	if res == nil || res.deleted {
		return nil, http.StatusNotFound, "The resource does not exist."
	}
	return res, 0, ""
}

func (f *Server) authenticated(r *http.Request) bool {
	c, err := r.Cookie("passbolt_session")
	if err != nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[c.Value]
}

func (f *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GPGAuth struct {
			KeyID     string `json:"keyid"`
			UserToken string `json:"user_token_result"`
		} `json:"gpg_auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GPGAuth.KeyID == "" {
		w.Header().Set("X-GPGAuth-Error", "true")
		w.Header().Set("X-GPGAuth-Debug", "No key id set.")
		Reply(w, r, http.StatusBadRequest, "The authentication failed.", nil)
		return
	}
	user := f.userPublic[strings.ToUpper(req.GPGAuth.KeyID)]
	w.Header().Set("X-GPGAuth-Version", "1.3.0")
	if user == nil {
		// Passbolt sets X-GPGAuth-Debug ("User not found.") only when its debug mode is on.
		w.Header().Set("X-GPGAuth-Error", "true")
		Reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.GPGAuth.UserToken == "" {
		token := "gpgauthv1.3.0|36|" + NewUUID() + "|gpgauthv1.3.0"
		f.tokens[Fingerprint(user)] = issuedToken{token: token, expires: time.Now().Add(5 * time.Minute)}
		w.Header().Set("X-GPGAuth-Progress", "stage1")
		w.Header().Set("X-GPGAuth-Authenticated", "false")
		encrypted, err := Seal(user, f.serverKey, []byte(token))
		if err != nil {
			Reply(w, r, http.StatusInternalServerError, "Encryption failed.", nil)
			return
		}
		w.Header().Set("X-GPGAuth-User-Auth-Token", quotemeta(url.QueryEscape(encrypted)))
		Reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	issued, ok := f.tokens[Fingerprint(user)]
	delete(f.tokens, Fingerprint(user)) // a token serves once
	if !ok || issued.token != req.GPGAuth.UserToken || time.Now().After(issued.expires) {
		w.Header().Set("X-GPGAuth-Error", "true")
		w.Header().Set("X-GPGAuth-Debug", "The user token result does not match.")
		w.Header().Set("X-GPGAuth-Authenticated", "false")
		Reply(w, r, f.stage1Status, "The authentication failed.", nil)
		return
	}
	session := NewUUID()
	f.sessions[session] = true
	f.logins++
	http.SetCookie(w, &http.Cookie{Name: "passbolt_session", Value: session, Path: "/", Secure: true, HttpOnly: true}) //nolint:gosec // the session cookie as the stand-in has always set it; clients keep it in a jar, which reads no SameSite
	w.Header().Set("X-GPGAuth-Progress", "complete")
	w.Header().Set("X-GPGAuth-Authenticated", "true")
	w.Header().Set("X-GPGAuth-Refer", "/")
	Reply(w, r, http.StatusOK, "You are successfully logged in.", map[string]string{"id": NewUUID()})
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
