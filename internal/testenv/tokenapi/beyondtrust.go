package tokenapi

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// BeyondtrustCredentials is one set of credentials Beyondtrust generated.
type BeyondtrustCredentials struct {
	// Path is the definition's folder and name, FOLDER/NAME.
	Path                                                string
	AccessKeyID, SecretAccessKey, SessionToken, LeaseID string
	Expiration                                          string
}

// Beyondtrust serves the dynamic secrets of BeyondTrust Workload Credentials' Secrets API
// over TLS. What BeyondTrust's public API reference says is followed: the base URL
// /site/{siteId}/secrets, a Bearer token (a personal access token), and the version header
// bt-secrets-api-version: 2026-04-28 on every request, folders named by a folder query
// parameter. The generation call itself, POST .../dynamic/{name}/generate?folder=FOLDER
// answered 201 {"secret": {"accessKeyId", "secretAccessKey", "sessionToken", "leaseId",
// "expiration"}}, and the error body {"error": ..., "message": ...} are not in the part of
// the reference that could be read: they follow what External Secrets Operator's client
// sends and parses.
type Beyondtrust struct {
	URL   string // https://127.0.0.1:PORT/site, a generator's apiUrl
	CAPEM []byte // the server's certificate, PEM, for a caBundle

	server         *httptest.Server
	siteID, apiKey string
	// definitions maps FOLDER/NAME to whether its credentials carry a session token.
	definitions map[string]bool

	mu     sync.Mutex
	issued []BeyondtrustCredentials
}

// BeyondtrustAPIVersion is the API version the server requires.
const BeyondtrustAPIVersion = "2026-04-28"

// NewBeyondtrust starts a server for site siteID that accepts apiKey and generates AWS
// credentials for the given definitions (FOLDER/NAME), with a session token where true.
func NewBeyondtrust(siteID, apiKey string, definitions map[string]bool) *Beyondtrust {
	b := &Beyondtrust{siteID: siteID, apiKey: apiKey, definitions: definitions}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /site/{site}/secrets/dynamic/{name}/generate", b.generate)
	b.server = httptest.NewTLSServer(mux)
	b.URL = b.server.URL + "/site"
	b.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.server.Certificate().Raw})
	return b
}

// Close stops the server.
func (b *Beyondtrust) Close() { b.server.Close() }

// Issued returns the credentials generated, oldest first.
func (b *Beyondtrust) Issued() []BeyondtrustCredentials {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BeyondtrustCredentials(nil), b.issued...)
}

func beyondtrustError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"error": code, "message": message})
}

func (b *Beyondtrust) generate(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token != b.apiKey {
		beyondtrustError(w, http.StatusUnauthorized, "unauthorized", "invalid or missing bearer token")
		return
	}
	if r.Header.Get("bt-secrets-api-version") != BeyondtrustAPIVersion {
		beyondtrustError(w, http.StatusBadRequest, "bad_request", "missing or unsupported bt-secrets-api-version header")
		return
	}
	path := r.PathValue("name")
	if folder := r.URL.Query().Get("folder"); folder != "" {
		path = folder + "/" + path
	}
	withSession, known := b.definitions[path]
	if r.PathValue("site") != b.siteID || !known {
		beyondtrustError(w, http.StatusNotFound, "not_found", "dynamic secret not found")
		return
	}
	c := BeyondtrustCredentials{Path: path, AccessKeyID: "ASIA" + randomToken(16), SecretAccessKey: randomToken(40),
		LeaseID: randomToken(8) + "-" + randomToken(4), Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	secret := map[string]string{"accessKeyId": c.AccessKeyID, "secretAccessKey": c.SecretAccessKey,
		"leaseId": c.LeaseID, "expiration": c.Expiration}
	if withSession {
		c.SessionToken = randomToken(120)
		secret["sessionToken"] = c.SessionToken
	}
	b.mu.Lock()
	b.issued = append(b.issued, c)
	b.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"secret": secret})
}
