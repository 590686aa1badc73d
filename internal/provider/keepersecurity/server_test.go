package keepersecurity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeKeeper is an in-process Keeper Secrets Manager API, written from the protocol as
// Keeper's open-source SDKs implement it: POST /api/rest/sm/v1/<endpoint>, a body sealed
// with AES-256-GCM (nonce first) under a transmission key that comes, ECIES-sealed to the
// server key the PublicKeyId header names, in the TransmissionKey header; an Authorization
// "Signature <base64 ASN.1 ECDSA>" over SHA-256 of the encrypted key and the body, checked
// with the public key of the application the body's clientId names; answers sealed with
// the transmission key; errors as JSON with error (or result_code), message and, to ask for
// another server key, key_id. Its crypto is its own, not the client's.
type fakeKeeper struct {
	srv    *httptest.Server
	appKey []byte
	// owner is the application owner's key pair: a created record's key comes encrypted
	// to its public half (the configuration's appOwnerPublicKey).
	owner *ecdh.PrivateKey

	mu sync.Mutex
	// serverKeys are the server's key pairs by id; preferred, when set, is the only id it
	// accepts, answering the others with the key rotation error.
	serverKeys map[string]*ecdh.PrivateKey
	preferred  string
	// clients are the registered applications' public keys by clientId.
	clients map[string]*ecdsa.PublicKey
	// records by UID; folders' keys by folder UID.
	records map[string]*storedRecord
	folders map[string][]byte
	order   []string
	// calls counts accepted and refused calls by endpoint.
	calls   map[string]int
	refused map[string]int
	// downloads counts GET requests for attachments' content.
	downloads int
	// beforeUpdate, when set, runs as an update_secret call arrives, before its revision
	// is checked: a test changes the record there as another vault user would.
	beforeUpdate func()
}

type storedRecord struct {
	uid, folder string
	key         []byte
	data        []byte
	revision    int64
	files       []*storedFile
}

// storedFile is an attachment: its key, its metadata JSON, and its content sealed with its
// key, as Keeper's file storage keeps it.
type storedFile struct {
	uid    string
	key    []byte
	meta   []byte
	sealed []byte
}

// app is one Secrets Manager application: its configuration's parts.
type app struct {
	clientID string
	key      *ecdsa.PrivateKey
	appKey   []byte
}

func startKeeper(t *testing.T) *fakeKeeper {
	t.Helper()
	f, err := newFakeKeeper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// newFakeKeeper starts a server with two server keys, ids 10 and 12; its caller closes it.
func newFakeKeeper() (*fakeKeeper, error) {
	f := &fakeKeeper{
		appKey:     make([]byte, 32),
		serverKeys: map[string]*ecdh.PrivateKey{},
		clients:    map[string]*ecdsa.PublicKey{},
		records:    map[string]*storedRecord{},
		folders:    map[string][]byte{},
		calls:      map[string]int{},
		refused:    map[string]int{},
	}
	if _, err := rand.Read(f.appKey); err != nil {
		return nil, err
	}
	owner, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	f.owner = owner
	for _, id := range []string{"10", "12"} {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		f.serverKeys[id] = k
	}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	return f, nil
}

// publicKeys are the server's public keys, for the provider under test.
func (f *fakeKeeper) publicKeys() map[string]*ecdh.PublicKey {
	out := map[string]*ecdh.PublicKey{}
	for id, k := range f.serverKeys {
		out[id] = k.PublicKey()
	}
	return out
}

// register makes an application the server knows.
func (f *fakeKeeper) register(t *testing.T) app {
	t.Helper()
	a := unregistered(t)
	a.appKey = f.appKey
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clients[a.clientID] = &a.key.PublicKey
	return a
}

func unregistered(t *testing.T) app {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return app{clientID: base64.StdEncoding.EncodeToString(randomBytes(t, 32)), key: k, appKey: randomBytes(t, 32)}
}

// config is a's Secrets Manager configuration against f, base64 as Keeper prints it.
func (f *fakeKeeper) config(t *testing.T, a app, keyID string) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(a.key)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]string{
		"hostname":          strings.TrimPrefix(f.srv.URL, "https://"),
		"clientId":          a.clientID,
		"privateKey":        base64.StdEncoding.EncodeToString(der),
		"appKey":            base64.StdEncoding.EncodeToString(a.appKey),
		"serverPublicKeyId": keyID,
		"appOwnerPublicKey": base64.StdEncoding.EncodeToString(f.owner.PublicKey().Bytes()),
	})
	return []byte(base64.StdEncoding.EncodeToString(doc))
}

// add stores a record (its data JSON) shared with the application, in folder when not
// empty, and returns its UID.
func (f *fakeKeeper) add(t *testing.T, folder string, data any) string {
	t.Helper()
	plain, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	uid := base64.RawURLEncoding.EncodeToString(randomBytes(t, 16))
	f.mu.Lock()
	defer f.mu.Unlock()
	if folder != "" && f.folders[folder] == nil {
		f.folders[folder] = randomBytes(t, 32)
	}
	f.records[uid] = &storedRecord{uid: uid, folder: folder, key: randomBytes(t, 32), data: plain, revision: 1}
	f.order = append(f.order, uid)
	return uid
}

// attach adds a file to a record, with the metadata Keeper's SDKs write (name, title, type,
// size), and returns its UID.
func (f *fakeKeeper) attach(t *testing.T, recordUID, title, name string, content []byte) string {
	t.Helper()
	key := randomBytes(t, 32)
	meta, _ := json.Marshal(map[string]any{"name": name, "title": title, "type": "application/octet-stream", "size": len(content), "lastModified": 1733390000000})
	sealed, err := gcmSeal(key, content)
	if err != nil {
		t.Fatal(err)
	}
	uid := base64.RawURLEncoding.EncodeToString(randomBytes(t, 16))
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.records[recordUID]
	rec.files = append(rec.files, &storedFile{uid: uid, key: key, meta: meta, sealed: sealed})
	return uid
}

// downloadCount is how many attachment downloads the server answered.
func (f *fakeKeeper) downloadCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.downloads
}

// serveFile answers GET /files/<uid> with the sealed content, as Keeper's file storage
// answers the URL get_secret gave: no Keeper headers, the content sealed with the file key.
func (f *fakeKeeper) serveFile(w http.ResponseWriter, uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rec := range f.records {
		for _, file := range rec.files {
			if file.uid == uid {
				f.downloads++
				w.Header().Set("Content-Type", "application/octet-stream")
				_, _ = w.Write(file.sealed)
				return
			}
		}
	}
	http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
}

// edit replaces a record's data as a vault user's save does: a new revision.
func (f *fakeKeeper) edit(t *testing.T, uid string, data any) {
	t.Helper()
	plain, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[uid].data = plain
	f.records[uid].revision++
}

// stored returns the decoded data of the records titled title, by UID.
func (f *fakeKeeper) stored(t *testing.T, title string) map[string]map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]any{}
	for uid, rec := range f.records {
		var data map[string]any
		if err := json.Unmarshal(rec.data, &data); err != nil {
			t.Fatalf("record %s holds no JSON: %v", uid, err)
		}
		if data["title"] == title {
			out[uid] = data
		}
	}
	return out
}

func (f *fakeKeeper) remove(uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.records, uid)
}

func (f *fakeKeeper) preferKey(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.preferred = id
}

func (f *fakeKeeper) count(endpoint string) (accepted, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[endpoint], f.refused[endpoint]
}

// keeperError answers as Keeper's API does when it refuses a call.
func keeperError(w http.ResponseWriter, r *http.Request, status int, code, message string, extra map[string]any) {
	body := map[string]any{
		"path":            "https://" + r.Host + r.URL.Path + ", POST, Go-http-client/1.1",
		"additional_info": "",
		"location":        "default exception manager - api validation exception",
		"error":           code,
		"message":         message,
	}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeKeeper) serve(w http.ResponseWriter, r *http.Request) {
	if uid, ok := strings.CutPrefix(r.URL.Path, "/files/"); ok && r.Method == http.MethodGet {
		f.serveFile(w, uid)
		return
	}
	endpoint, ok := strings.CutPrefix(r.URL.Path, "/api/rest/sm/v1/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	refuse := func(status int, code, message string, extra map[string]any) {
		f.mu.Lock()
		f.refused[endpoint]++
		f.mu.Unlock()
		keeperError(w, r, status, code, message, extra)
	}
	f.mu.Lock()
	serverKey, known := f.serverKeys[r.Header.Get("PublicKeyId")]
	preferred := f.preferred
	f.mu.Unlock()
	if !known || (preferred != "" && r.Header.Get("PublicKeyId") != preferred) {
		if preferred == "" {
			preferred = "10"
		}
		refuse(http.StatusBadRequest, "key", "invalid key id", map[string]any{"key_id": json.Number(preferred)})
		return
	}
	encryptedKey, err := base64.StdEncoding.DecodeString(r.Header.Get("TransmissionKey"))
	if err != nil {
		refuse(http.StatusBadRequest, "bad_request", "TransmissionKey header is not base64", nil)
		return
	}
	transmissionKey, err := eciesOpen(serverKey, encryptedKey)
	if err != nil || len(transmissionKey) != 32 {
		refuse(http.StatusBadRequest, "bad_request", "unable to decrypt the transmission key", nil)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(http.StatusBadRequest, "bad_request", "unreadable body", nil)
		return
	}
	plain, err := gcmOpen(transmissionKey, body)
	var payload keeperPayload
	if err != nil || json.Unmarshal(plain, &payload) != nil {
		refuse(http.StatusBadRequest, "bad_request", "unable to decrypt the payload", nil)
		return
	}
	if !strings.HasPrefix(payload.ClientVersion, "mg16.") {
		refuse(http.StatusBadRequest, "invalid_client_version", "invalid client version", nil)
		return
	}
	f.mu.Lock()
	clientKey := f.clients[payload.ClientID]
	f.mu.Unlock()
	if clientKey == nil {
		refuse(http.StatusForbidden, "access_denied", "Unable to validate application access", nil)
		return
	}
	signature, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.Header.Get("Authorization"), "Signature "))
	digest := sha256.Sum256(append(append([]byte(nil), encryptedKey...), body...))
	if err != nil || !ecdsa.VerifyASN1(clientKey, digest[:], signature) {
		refuse(http.StatusForbidden, "access_denied", "Signature is invalid", nil)
		return
	}
	var answer any
	switch endpoint {
	case "get_secret":
		f.mu.Lock()
		answer = f.secretsAnswer(payload.RequestedRecords)
		f.mu.Unlock()
	case "create_secret":
		if status, code, message := f.create(payload); status != http.StatusOK {
			refuse(status, code, message, nil)
			return
		}
	case "update_secret":
		if status, code, message := f.update(payload); status != http.StatusOK {
			refuse(status, code, message, nil)
			return
		}
	case "delete_secret":
		answer = f.delete(payload.RecordUIDs)
	default:
		refuse(http.StatusNotFound, "not_found", "unknown endpoint", nil)
		return
	}
	f.mu.Lock()
	f.calls[endpoint]++
	f.mu.Unlock()
	if answer == nil {
		// Keeper answers a write it accepted with an empty body.
		return
	}
	out, _ := json.Marshal(answer)
	sealed, err := gcmSeal(transmissionKey, out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(sealed)
}

// secretsAnswer is get_secret's answer for the requested records (none: all), the
// directly shared ones in records, the others in their folder. f.mu is held.
func (f *fakeKeeper) secretsAnswer(requested []string) map[string]any {
	want := map[string]bool{}
	for _, uid := range requested {
		want[uid] = true
	}
	records := []map[string]any{}
	folders := map[string][]map[string]any{}
	var folderOrder []string
	for _, uid := range f.order {
		rec, ok := f.records[uid]
		if !ok || (len(want) > 0 && !want[uid]) {
			continue
		}
		parent := f.appKey
		if rec.folder != "" {
			parent = f.folders[rec.folder]
		}
		sealedKey, _ := gcmSeal(parent, rec.key)
		sealedData, _ := gcmSeal(rec.key, rec.data)
		files := []map[string]any{}
		for _, file := range rec.files {
			fileKey, _ := gcmSeal(rec.key, file.key)
			meta, _ := gcmSeal(file.key, file.meta)
			files = append(files, map[string]any{
				"fileUid": file.uid, "fileKey": base64.StdEncoding.EncodeToString(fileKey),
				"data": base64.StdEncoding.EncodeToString(meta), "url": f.srv.URL + "/files/" + file.uid, "thumbnailUrl": nil,
			})
		}
		wire := map[string]any{
			"recordUid":  uid,
			"recordKey":  base64.StdEncoding.EncodeToString(sealedKey),
			"data":       base64.StdEncoding.EncodeToString(sealedData),
			"revision":   rec.revision,
			"isEditable": true,
			"files":      files,
		}
		if rec.folder == "" {
			records = append(records, wire)
			continue
		}
		if folders[rec.folder] == nil {
			folderOrder = append(folderOrder, rec.folder)
		}
		folders[rec.folder] = append(folders[rec.folder], wire)
	}
	folderList := []map[string]any{}
	for _, uid := range folderOrder {
		sealedKey, _ := gcmSeal(f.appKey, f.folders[uid])
		folderList = append(folderList, map[string]any{
			"folderUid": uid,
			"folderKey": base64.RawURLEncoding.EncodeToString(sealedKey),
			"records":   folders[uid],
		})
	}
	return map[string]any{"appData": "", "encryptedAppKey": "", "records": records, "folders": folderList, "expiresOn": 0, "warnings": nil}
}

// keeperPayload is the union of the request bodies the server reads.
type keeperPayload struct {
	ClientVersion    string   `json:"clientVersion"`
	ClientID         string   `json:"clientId"`
	RequestedRecords []string `json:"requestedRecords"`
	RecordUID        string   `json:"recordUid"`
	RecordKey        string   `json:"recordKey"`
	FolderUID        string   `json:"folderUid"`
	FolderKey        string   `json:"folderKey"`
	Data             string   `json:"data"`
	Revision         int64    `json:"revision"`
	RecordUIDs       []string `json:"recordUids"`
}

// create stores a record as Keeper's create_secret does: the record key, ECIES-sealed to
// the owner's key, must match the one sealed with the folder's key (folderKey), and the
// data must open with it. It answers 200 or an error's status, code and message.
func (f *fakeKeeper) create(p keeperPayload) (int, string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	folderKey, ok := f.folders[p.FolderUID]
	if !ok {
		return http.StatusForbidden, "access_denied", "folder is not shared with the application"
	}
	if _, taken := f.records[p.RecordUID]; taken || len(anyBase64(p.RecordUID)) != 16 {
		return http.StatusBadRequest, "bad_request", "invalid record uid"
	}
	forOwner, err := eciesOpen(f.owner, anyBase64(p.RecordKey))
	if err != nil {
		return http.StatusBadRequest, "bad_request", "unable to decrypt the record key"
	}
	forFolder, err := gcmOpen(folderKey, anyBase64(p.FolderKey))
	if err != nil || string(forFolder) != string(forOwner) {
		return http.StatusBadRequest, "bad_request", "the folder key does not hold the record key"
	}
	data, err := gcmOpen(forOwner, anyBase64(p.Data))
	if err != nil || !json.Valid(data) {
		return http.StatusBadRequest, "bad_request", "unable to decrypt the record data"
	}
	f.records[p.RecordUID] = &storedRecord{uid: p.RecordUID, folder: p.FolderUID, key: forOwner, data: data, revision: 1}
	f.order = append(f.order, p.RecordUID)
	return http.StatusOK, "", ""
}

// update replaces a record's data at the revision the client read, as update_secret does.
func (f *fakeKeeper) update(p keeperPayload) (int, string, string) {
	f.mu.Lock()
	hook := f.beforeUpdate
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := f.records[p.RecordUID]
	if !ok {
		return http.StatusBadRequest, "bad_request", "record not found"
	}
	if p.Revision != rec.revision {
		return http.StatusBadRequest, "out_of_sync", "record revision is out of date"
	}
	data, err := gcmOpen(rec.key, anyBase64(p.Data))
	if err != nil || !json.Valid(data) {
		return http.StatusBadRequest, "bad_request", "unable to decrypt the record data"
	}
	rec.data = data
	rec.revision++
	return http.StatusOK, "", ""
}

// delete removes records as delete_secret does, with a status for each.
func (f *fakeKeeper) delete(uids []string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	statuses := []map[string]any{}
	for _, uid := range uids {
		status := map[string]any{"recordUid": uid, "responseCode": "ok", "errorMessage": ""}
		if _, ok := f.records[uid]; !ok {
			status["responseCode"], status["errorMessage"] = "not_found", "record not found"
		}
		delete(f.records, uid)
		statuses = append(statuses, status)
	}
	return map[string]any{"records": statuses}
}

// anyBase64 decodes base64 in any of the four alphabets and paddings Keeper's SDKs write;
// nil when it is none.
func anyBase64(s string) []byte {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func testGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func gcmSeal(key, plain []byte) ([]byte, error) {
	aead, err := testGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

func gcmOpen(key, sealed []byte) ([]byte, error) {
	aead, err := testGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, io.ErrUnexpectedEOF
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
}

// eciesOpen decrypts what a client sealed to the server key: the client's ephemeral P-256
// point (65 bytes), then AES-GCM under SHA-256 of the shared secret.
func eciesOpen(priv *ecdh.PrivateKey, data []byte) ([]byte, error) {
	if len(data) < 65 {
		return nil, io.ErrUnexpectedEOF
	}
	ephemeral, err := ecdh.P256().NewPublicKey(data[:65])
	if err != nil {
		return nil, err
	}
	shared, err := priv.ECDH(ephemeral)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256(shared)
	return gcmOpen(key[:], data[65:])
}
