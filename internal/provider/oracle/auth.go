package oracle

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// signer signs requests with OCI's HTTP signature scheme, version 1: as a user principal
// with the API key whose fingerprint the user registered (keyID and key), or, when
// credentials is set, with the keyId and key it returns for each request (a principal's
// security token and session key, renewed as they expire).
type signer struct {
	keyID       string
	key         *rsa.PrivateKey
	credentials func(ctx context.Context) (keyID string, key *rsa.PrivateKey, err error)
	// forget, with credentials, drops the session of keyID after OCI refused it, so that
	// the next request obtains a new one instead of waiting for its expiry.
	forget func(keyID string)
	now    func() time.Time
}

// newSigner parses the API private key (PEM, PKCS#1 or PKCS#8, unencrypted, as ESO reads
// it) and returns the signer of tenancy/user/fingerprint. Errors say what is wrong with the
// key without quoting it.
func newSigner(tenancy, user, fingerprint string, privateKeyPEM []byte, now func() time.Time) (*signer, error) {
	key, err := parsePrivateKey(privateKeyPEM)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &signer{keyID: tenancy + "/" + user + "/" + strings.TrimSpace(fingerprint), key: key, now: now}, nil
}

// parsePrivateKey parses an RSA private key in PEM, PKCS#1 or PKCS#8, unencrypted. Errors
// say what is wrong with the key without quoting it.
func parsePrivateKey(privateKeyPEM []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(privateKeyPEM)
	if block == nil {
		return nil, errors.New("the private key is not PEM: it must be the API key's private key as OCI gives it, starting with -----BEGIN")
	}
	if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck // only detecting a legacy encrypted key, to say it is refused
		return nil, errors.New("the private key is encrypted with a passphrase: store the unencrypted key, as External Secrets Operator reads it")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the private key is not a valid PKCS#1 RSA key: %w", err)
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the private key is not a valid PKCS#8 key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the private key is a %T, but OCI API keys are RSA keys", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("the private key is a PEM %q block: OCI API keys are RSA PRIVATE KEY or PRIVATE KEY blocks", block.Type)
	}
	return key, nil
}

// sign adds the date, the body headers (for a request with a body) and the Authorization
// header to req. The signed headers are those OCI requires: (request-target), date and
// host, and for PUT, POST and PATCH also x-content-sha256, content-type and
// content-length.
func (s *signer) sign(req *http.Request) error {
	_, err := s.signAs(req)
	return err
}

// signAs is sign, returning the keyId the request was signed as.
func (s *signer) signAs(req *http.Request) (string, error) {
	keyID, key := s.keyID, s.key
	if s.credentials != nil {
		var err error
		if keyID, key, err = s.credentials(req.Context()); err != nil {
			return "", err
		}
	}
	req.Header.Set("Date", s.now().UTC().Format(http.TimeFormat))
	names := []string{"date", "(request-target)", "host"}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		body, err := readBody(req)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(body)
		req.Header.Set("X-Content-Sha256", base64.StdEncoding.EncodeToString(sum[:]))
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		names = append(names, "content-length", "content-type", "x-content-sha256")
	}
	digest := sha256.Sum256([]byte(signingString(req, names)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the request: %w", err)
	}
	req.Header.Set("Authorization", fmt.Sprintf(`Signature version="1",keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		keyID, strings.Join(names, " "), base64.StdEncoding.EncodeToString(sig)))
	return keyID, nil
}

// readBody reads a request's body and puts it back, for its hash and length.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body to sign it: %w", err)
	}
	_ = req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return body, nil
}

// signingString is the text OCI signs: one "name: value" line per signed header, in the
// order of the headers parameter; (request-target) is the lower-case method and the path
// with its query.
func signingString(req *http.Request, names []string) string {
	lines := make([]string, len(names))
	for i, name := range names {
		var value string
		switch name {
		case "(request-target)":
			value = strings.ToLower(req.Method) + " " + req.URL.RequestURI()
		case "host":
			value = req.Host
			if value == "" {
				value = req.URL.Host
			}
		default:
			value = req.Header.Get(name)
		}
		lines[i] = name + ": " + value
	}
	return strings.Join(lines, "\n")
}

// signingTransport signs every request before sending it.
type signingTransport struct {
	signer *signer
	next   http.RoundTripper
}

func (t *signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	signed := req.Clone(req.Context())
	if req.Body != nil {
		signed.Body = req.Body
	}
	keyID, err := t.signer.signAs(signed)
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(signed)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && t.signer.forget != nil {
		t.signer.forget(keyID)
	}
	return resp, err
}
