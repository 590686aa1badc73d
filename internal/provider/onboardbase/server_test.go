package onboardbase

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
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
)

// apiPrefix is where the in-process server serves the API, as public.onboardbase.com
// serves it below /api/v1.
const apiPrefix = "/api/v1"

// fakeOnboardbase is an in-process Onboardbase public API, written from Onboardbase's API
// reference (docs.onboardbase.com/reference): GET /api/v1/secrets?project=…&environment=…
// authenticated by the API_KEY header, answering the environment's secrets with every name
// and value encrypted with the API key's passcode as CryptoJS.AES.encrypt does (OpenSSL's
// "Salted__" format, a fresh salt each time), and the documented statuses: 401 for no valid
// key, 403 for a key without the scope, 404 for an unknown project or environment, 429 and
// 5xx. The error body, which the reference does not show, is NestJS's
// {"statusCode","message","error"}. No Onboardbase emulator exists; it stands in for the
// real service, which these tests never reach.
type fakeOnboardbase struct {
	srv *httptest.Server
	mu  sync.Mutex
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
}

func startOnboardbase(t *testing.T) *fakeOnboardbase {
	t.Helper()
	f := &fakeOnboardbase{projects: map[string]map[string]map[string]string{}, keys: map[string]string{}, noReadScope: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// apiHost is the store's apiHost for this server, with the trailing slash the CRD's default has.
func (f *fakeOnboardbase) apiHost() string { return f.srv.URL + apiPrefix + "/" }

func (f *fakeOnboardbase) set(project, environment, name, value string) {
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

func (f *fakeOnboardbase) remove(project, environment, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.projects[project][environment], name)
}

func (f *fakeOnboardbase) setFault(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = h
}

func (f *fakeOnboardbase) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func (f *fakeOnboardbase) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == apiPrefix+"/secrets" && r.Method == http.MethodGet {
		f.reads++
	}
	if f.fault != nil {
		f.fault(w, r)
		return
	}
	passcode, ok := f.keys[r.Header.Get("API_KEY")]
	if !ok {
		nestError(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	if r.URL.Path != apiPrefix+"/secrets" || r.Method != http.MethodGet {
		nestError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return
	}
	if f.noReadScope[r.Header.Get("API_KEY")] {
		nestError(w, http.StatusForbidden, "API key does not have the read.secrets scope")
		return
	}
	project, environment := r.URL.Query().Get("project"), r.URL.Query().Get("environment")
	envs, ok := f.projects[project]
	if !ok {
		nestError(w, http.StatusNotFound, "Project not found")
		return
	}
	secrets, ok := envs[environment]
	if !ok {
		nestError(w, http.StatusNotFound, "Environment not found")
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
		value := cryptoJSEncrypt(secrets[name], passcode)
		if secrets[name] == "" && f.sendEmpty {
			value = ""
		}
		list = append(list, secret{ID: fmt.Sprintf("sec-%d", i), Key: cryptoJSEncrypt(name, passcode), Value: value})
	}
	writeJSON(w, http.StatusOK, map[string]any{
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

func nestError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": message, "error": http.StatusText(status)})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// cryptoJSEncrypt is CryptoJS.AES.encrypt(text, passphrase).toString(), as Onboardbase
// encrypts what it sends: a random 8-byte salt, key and IV from OpenSSL's EVP_BytesToKey
// (MD5), AES-256-CBC with PKCS#7 padding, base64 of "Salted__" || salt || ciphertext.
func cryptoJSEncrypt(text, passphrase string) string {
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
