package onboardbasefake

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5" //nolint:gosec // EVP_BytesToKey is MD5 in the format the server speaks
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
)

// Start serves a stand-in with no project and no API key on a free loopback port; Close
// stops it.
func Start() (*Server, error) {
	f := &Server{projects: map[string]map[string]map[string]string{}, keys: map[string]string{}, noReadScope: map[string]bool{}}
	srv, err := fakehttp.Start(http.HandlerFunc(f.serve))
	if err != nil {
		return nil, err
	}
	f.Server = srv
	return f, nil
}

// AddKey makes apiKey valid, made with passcode, which encrypts what it reads.
func (f *Server) AddKey(apiKey, passcode string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[apiKey] = passcode
}

// DenyReadScope takes the scope to read secrets from apiKey.
func (f *Server) DenyReadScope(apiKey string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noReadScope[apiKey] = true
}

// AddEnvironment makes environment of project exist, with no secrets.
func (f *Server) AddEnvironment(project, environment string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.projects[project] == nil {
		f.projects[project] = map[string]map[string]string{}
	}
	f.projects[project][environment] = map[string]string{}
}

// RemoveEnvironment deletes environment of project.
func (f *Server) RemoveEnvironment(project, environment string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.projects[project], environment)
}

// RenameProject gives the project old the title renamed.
func (f *Server) RenameProject(old, renamed string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.projects[renamed] = f.projects[old]
	delete(f.projects, old)
}

// SendEmptyAsEmpty sends empty values as "" rather than as the ciphertext of "".
func (f *Server) SendEmptyAsEmpty() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendEmpty = true
}

// Observe has observe see every request before it is answered.
func (f *Server) Observe(observe func(*http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observe = observe
}

// APIPrefix is where the in-process server serves the API, as public.onboardbase.com
// serves it below /api/v1.
const APIPrefix = "/api/v1"

// Server is an in-process Onboardbase public API, written from Onboardbase's API
// reference (docs.onboardbase.com/reference): GET /api/v1/secrets?project=…&environment=…
// authenticated by the API_KEY header, answering the environment's secrets with every name
// and value encrypted with the API key's passcode as CryptoJS.AES.encrypt does (OpenSSL's
// "Salted__" format, a fresh salt each time), and the documented statuses: 401 for no valid
// key, 403 for a key without the scope, 404 for an unknown project or environment, 429 and
// 5xx. The error body, which the reference does not show, is NestJS's
// {"statusCode","message","error"}. No Onboardbase emulator exists; it stands in for the
// real service, which these tests never reach.
type Server struct {
	*fakehttp.Server

	mu sync.Mutex
	// projects: project title → environment title → secret name → value.
	projects map[string]map[string]map[string]string
	// keys: API key → the passcode it was made with.
	keys map[string]string
	// noReadScope lists API keys without the scope to read secrets.
	noReadScope map[string]bool
	// sendEmpty sends empty values as "" rather than as the ciphertext of "" (the API
	// reference does not say which the service does; the client must read both).
	sendEmpty bool
	// reads counts the GET /secrets requests answered, whatever their outcome.
	reads int
	// fault, when set, answers a request instead of the API.
	fault http.HandlerFunc
	// observe, when set, sees every request first.
	observe func(*http.Request)
}

// APIHost is the store's apiHost for this server, with the trailing slash the CRD's default has.
func (f *Server) APIHost() string { return f.URL + APIPrefix + "/" }

// Set creates or replaces the secret name of environment in project.
func (f *Server) Set(project, environment, name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.projects[project] == nil {
		f.projects[project] = map[string]map[string]string{}
	}
	if f.projects[project][environment] == nil {
		f.projects[project][environment] = map[string]string{}
	}
	f.projects[project][environment][name] = value
}

// Remove deletes the secret name of environment in project.
func (f *Server) Remove(project, environment, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.projects[project][environment], name)
}

// SetFault has h answer every request instead of the API (the reads are still counted).
func (f *Server) SetFault(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

// ReadCount is the number of GET /secrets requests so far, whatever their outcome.
func (f *Server) ReadCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.observe != nil {
		f.observe(r)
	}
	if r.URL.Path == APIPrefix+"/secrets" && r.Method == http.MethodGet {
		f.reads++
	}
	if f.fault != nil {
		f.fault(w, r)
		return
	}
	passcode, ok := f.keys[r.Header.Get("API_KEY")]
	if !ok {
		NestError(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	if r.URL.Path != APIPrefix+"/secrets" || r.Method != http.MethodGet {
		NestError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return
	}
	if f.noReadScope[r.Header.Get("API_KEY")] {
		NestError(w, http.StatusForbidden, "API key does not have the read.secrets scope")
		return
	}
	project, environment := r.URL.Query().Get("project"), r.URL.Query().Get("environment")
	envs, ok := f.projects[project]
	if !ok {
		NestError(w, http.StatusNotFound, "Project not found")
		return
	}
	secrets, ok := envs[environment]
	if !ok {
		NestError(w, http.StatusNotFound, "Environment not found")
		return
	}
	names := make([]string, 0, len(secrets))
	for name := range secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	type secret struct {
		ID    string `json:"id"`
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	list := make([]secret, 0, len(names))
	for i, name := range names {
		value := CryptoJSEncrypt(secrets[name], passcode)
		if secrets[name] == "" && f.sendEmpty {
			value = ""
		}
		list = append(list, secret{ID: fmt.Sprintf("sec-%d", i), Key: CryptoJSEncrypt(name, passcode), Value: value})
	}
	WriteJSON(w, http.StatusOK, map[string]any{
		"status":  "success",
		"message": "Secrets retrieved successfully",
		"data": map[string]any{
			"project":     map[string]string{"id": "prj-" + project, "title": project},
			"environment": map[string]string{"id": "env-" + environment, "title": environment},
			"team":        map[string]string{"id": "team-1", "title": "Team"},
			"secrets":     list,
		},
	})
}

// NestError answers with NestJS's error body, what Onboardbase's API sends.
func NestError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, map[string]any{"statusCode": status, "message": message, "error": http.StatusText(status)})
}

// WriteJSON answers status with body as JSON.
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// CryptoJSEncrypt is CryptoJS.AES.encrypt(text, passphrase).toString(), as Onboardbase
// encrypts what it sends: a random 8-byte salt, key and IV from OpenSSL's EVP_BytesToKey
// (MD5), AES-256-CBC with PKCS#7 padding, base64 of "Salted__" || salt || ciphertext.
func CryptoJSEncrypt(text, passphrase string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	key, iv := evpMD5(passphrase, salt)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	n := aes.BlockSize - len(text)%aes.BlockSize
	plain := append([]byte(text), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(append(append([]byte("Salted__"), salt...), out...))
}

// evpMD5 derives the server's key and IV on its own, so that the client's derivation is
// checked against a second one (and against OpenSSL's vectors in cryptojs_test.go).
func evpMD5(passphrase string, salt []byte) (key, iv []byte) {
	var all, prev []byte
	for len(all) < 48 {
		sum := md5.Sum(append(append(prev, passphrase...), salt...)) //nolint:gosec // see the import
		prev = sum[:]
		all = append(all, prev...)
	}
	return all[:32], all[32:48]
}
