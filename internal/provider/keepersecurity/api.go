package keepersecurity

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// clientVersion is the SDK version Ferry's requests name; Keeper refuses versions it has
// not registered ("invalid_client_version"), so it is one of Keeper's Go SDK's.
const clientVersion = "mg16.2.3"

// api signs, seals and sends Secrets Manager calls for one application.
type api struct {
	http       *http.Client
	creds      *credentials
	serverKeys map[string]*ecdh.PublicKey

	mu sync.Mutex
	// keyID is the server key in use: the configuration's, until the server asks for
	// another.
	keyID string
}

// apiError is an answer other than 200: its status and Keeper's result code and message,
// which name what was refused, never a record's content.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("Keeper answered HTTP %d", e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// errorBody is Keeper's error answer: result_code (or error), message, and for a server
// key the client should not use, the key_id to use instead.
type errorBody struct {
	ResultCode string          `json:"result_code"`
	Error      string          `json:"error"`
	Message    string          `json:"message"`
	KeyID      json.RawMessage `json:"key_id"`
}

// post sends payload to endpoint and returns the decrypted answer (empty when Keeper
// answers nothing). When Keeper asks for another of its server keys, it retries once with
// that key, and keeps it for later calls.
func (a *api) post(ctx context.Context, endpoint string, payload any) ([]byte, error) {
	plain, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		a.mu.Lock()
		keyID := a.keyID
		a.mu.Unlock()
		answer, status, transmissionKey, err := a.send(ctx, endpoint, keyID, plain)
		if err != nil {
			return nil, err
		}
		if status == http.StatusOK {
			if len(answer) == 0 {
				return nil, nil
			}
			decrypted, err := open(transmissionKey, answer)
			if err != nil {
				return nil, fmt.Errorf("%s: the answer does not decrypt with the request's transmission key", endpoint)
			}
			return decrypted, nil
		}
		next, err := a.refusal(status, answer)
		if next == "" || attempt > 0 {
			return nil, fmt.Errorf("%s: %w", endpoint, err)
		}
		a.mu.Lock()
		a.keyID = next
		a.mu.Unlock()
	}
}

// send seals plain under a fresh transmission key, signs it and posts it.
func (a *api) send(ctx context.Context, endpoint, keyID string, plain []byte) (answer []byte, status int, transmissionKey []byte, err error) {
	serverKey, ok := a.serverKeys[keyID]
	if !ok {
		return nil, 0, nil, fmt.Errorf("the configuration's serverPublicKeyId %q is not one of Keeper's server keys; remove it to use the default, or take the configuration from Keeper again", keyID)
	}
	transmissionKey = make([]byte, 32)
	if _, err := rand.Read(transmissionKey); err != nil {
		return nil, 0, nil, err
	}
	encryptedKey, err := sealTo(serverKey, transmissionKey)
	if err != nil {
		return nil, 0, nil, err
	}
	body, err := seal(transmissionKey, plain)
	if err != nil {
		return nil, 0, nil, err
	}
	signature, err := sign(a.creds.privateKey, append(append([]byte(nil), encryptedKey...), body...))
	if err != nil {
		return nil, 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.creds.baseURL+endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("PublicKeyId", keyID)
	req.Header.Set("TransmissionKey", base64.StdEncoding.EncodeToString(encryptedKey))
	req.Header.Set("Authorization", "Signature "+base64.StdEncoding.EncodeToString(signature))
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", endpoint, restclient.UnwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, restclient.MaxResponseBytes))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: reading the answer: %w", endpoint, err)
	}
	return answer, resp.StatusCode, transmissionKey, nil
}

// refusal reads an error answer. next is the server key Keeper asks for, when it asks for
// one of its published keys.
func (a *api) refusal(status int, answer []byte) (next string, err error) {
	var body errorBody
	if json.Unmarshal(answer, &body) != nil {
		return "", &apiError{Status: status}
	}
	code := body.ResultCode
	if code == "" {
		code = body.Error
	}
	e := &apiError{Status: status, Code: code, Message: truncate(body.Message)}
	if code == "key" {
		id := strings.Trim(string(body.KeyID), `" `)
		if _, ok := a.serverKeys[id]; ok {
			return id, e
		}
		e.Message = fmt.Sprintf("Keeper asks for its server key %q, which Ferry does not know", id)
	}
	return "", e
}

func truncate(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
