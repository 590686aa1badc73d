package oracle

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/oracle/ocicert"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/redact"
)

// instanceMetadata is OCI's instance metadata service, version 2, at the link-local address
// every compute instance reaches.
const instanceMetadata = "http://169.254.169.254/opc/v2"

// renewBefore is how long before its exp a security token is replaced, as the OCI SDK
// replaces it.
const renewBefore = 5 * time.Minute

// sessionKeyBits is the size of the RSA session key a security token is issued for.
const sessionKeyBits = 2048

// metadataTimeout bounds one call to the instance metadata service, which answers at once
// on an instance and never answers elsewhere.
const metadataTimeout = 10 * time.Second

// notAnInstance is what to check when the instance metadata service cannot be read.
const notAnInstance = "InstancePrincipal works only on an OCI compute instance or OKE node, whose dynamic group a policy allows to read the vault's secrets"

// session is a principal's security token (a JWT) and the session key it was issued for.
type session struct {
	token   string
	key     *rsa.PrivateKey
	expires time.Time
}

// principalSessions keeps one principal's session: requests of every store share it
// until shortly before it expires, so reads do not federate one by one.
type principalSessions struct {
	// federate obtains a new session.
	federate func(ctx context.Context) (*session, error)
	now      func() time.Time

	mu      sync.Mutex
	current *session
}

// credentials returns the keyId ("ST$" and the token) and the session key to sign with,
// federating first when there is no session or it is about to expire.
func (p *principalSessions) credentials(ctx context.Context) (string, *rsa.PrivateKey, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.current; s == nil || !p.now().Before(s.expires.Add(-renewBefore)) {
		next, err := p.federate(ctx)
		if err != nil {
			return "", nil, &principalError{err: err}
		}
		p.current = next
	}
	return "ST$" + p.current.token, p.current.key, nil
}

// principalError is a failure to obtain a principal's session. It keeps the message but
// hides the HTTP status of the auth or workload identity endpoint, so that their 404 or 401
// is never taken for a Vault answer ("not found", a refused API key signature).
type principalError struct{ err error }

func (e *principalError) Error() string { return e.err.Error() }

// forget drops the current session if keyID is still its keyId.
func (p *principalSessions) forget(keyID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current != nil && "ST$"+p.current.token == keyID {
		p.current = nil
	}
}

// instanceSession obtains the instance's security token as OCI's X.509 federation does:
// it reads the instance's leaf certificate, its key and the intermediate certificate from
// the instance metadata service, makes a session key, and asks the auth service of the
// instance's region for a token, signing the request with the leaf key.
func (p *Provider) instanceSession(ctx context.Context) (*session, error) {
	region, err := p.instanceRegion(ctx)
	if err != nil {
		return nil, err
	}
	leafPEM, err := p.readMetadata(ctx, "/identity/cert.pem")
	if err != nil {
		return nil, err
	}
	keyPEM, err := p.readMetadata(ctx, "/identity/key.pem")
	if err != nil {
		return nil, err
	}
	redact.RememberCredential(keyPEM)
	intermediatePEM, err := p.readMetadata(ctx, "/identity/intermediate.pem")
	if err != nil {
		return nil, err
	}
	leaf, err := parseCertificates(leafPEM)
	if err != nil {
		return nil, fmt.Errorf("the instance's certificate (/identity/cert.pem): %w", err)
	}
	intermediates, err := parseCertificates(intermediatePEM)
	if err != nil {
		return nil, fmt.Errorf("the instance's intermediate certificate (/identity/intermediate.pem): %w", err)
	}
	leafKey, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the instance's certificate key (/identity/key.pem): %w", err)
	}
	tenancy := ocicert.Tenancy(leaf[0])
	if tenancy == "" {
		return nil, errors.New("the instance's certificate names no tenancy (no opc-tenant: subject attribute): is this an OCI instance?")
	}
	sessionKey, publicKey, err := newSessionKey()
	if err != nil {
		return nil, err
	}
	request := x509Federation{
		Certificate:          base64.StdEncoding.EncodeToString(leaf[0].Raw),
		PublicKey:            base64.StdEncoding.EncodeToString(publicKey),
		FingerprintAlgorithm: "SHA256",
	}
	for _, c := range intermediates {
		request.IntermediateCertificates = append(request.IntermediateCertificates, base64.StdEncoding.EncodeToString(c.Raw))
	}
	leafSigner := &signer{keyID: tenancy + "/fed-x509-sha256/" + ocicert.Fingerprint(leaf[0]), key: leafKey, now: p.now}
	auth := &restclient.Client{Service: "oci auth", BaseURL: p.endpoint(authService, region), Message: errorMessage,
		HTTP: &http.Client{Transport: &signingTransport{signer: leafSigner, next: p.instanceHTTP.Transport}, Timeout: p.instanceHTTP.Timeout}}
	var answer struct {
		Token string `json:"token"`
	}
	if _, err := auth.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/v1/x509", Body: request}, &answer); err != nil {
		if s := restclient.Status(err); s == http.StatusUnauthorized || s == http.StatusForbidden || s == http.StatusBadRequest {
			return nil, fmt.Errorf("getting the instance principal's security token: %w (OCI's auth service refused the instance's certificate of tenancy %s)", err, tenancy)
		}
		return nil, fmt.Errorf("getting the instance principal's security token: %w", err)
	}
	redact.RememberCredentialString(answer.Token)
	expires, err := tokenExpiry(answer.Token)
	if err != nil {
		return nil, fmt.Errorf("the security token of OCI's auth service: %w", err)
	}
	return &session{token: answer.Token, key: sessionKey, expires: expires}, nil
}

// newSessionKey makes the RSA key a security token is issued for and returns it with its
// public key in PKIX DER.
func newSessionKey() (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, sessionKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("making the session key: %w", err)
	}
	public, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the session key: %w", err)
	}
	return key, public, nil
}

// x509Federation is the body of the auth service's X509 federation request: DER
// certificates and the session's public key (PKIX), each in base64.
type x509Federation struct {
	Certificate              string   `json:"certificate"`
	PublicKey                string   `json:"publicKey"`
	IntermediateCertificates []string `json:"intermediateCertificates,omitempty"`
	FingerprintAlgorithm     string   `json:"fingerprintAlgorithm"`
}

// instanceRegion returns the instance's region identifier. The metadata service's region
// is a three-letter key (iad) in OCI's older regions; its canonicalRegionName is then the
// identifier.
func (p *Provider) instanceRegion(ctx context.Context) (string, error) {
	region, err := p.readMetadata(ctx, "/instance/region")
	if err != nil {
		return "", err
	}
	if r := strings.TrimSpace(string(region)); regionID.MatchString(r) {
		return r, nil
	}
	region, err = p.readMetadata(ctx, "/instance/canonicalRegionName")
	if err != nil {
		return "", err
	}
	if r := strings.TrimSpace(string(region)); regionID.MatchString(r) {
		return r, nil
	}
	return "", errors.New("the instance metadata service names no region identifier (instance/canonicalRegionName)")
}

// maxMetadata bounds what Ferry reads of one metadata document (a certificate or a key).
const maxMetadata = 64 << 10

// readMetadata returns a document of the instance metadata service, version 2.
func (p *Provider) readMetadata(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	url := p.metadata() + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("reading the instance metadata service: %w", err)
	}
	req.Header.Set("Authorization", "Bearer Oracle")
	resp, err := p.instanceHTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w (%s)", url, restclient.UnwrapURLError(err), notAnInstance)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading %s: HTTP %d (%s)", url, resp.StatusCode, notAnInstance)
	}
	return body, nil
}

// parseCertificates returns the certificates of a PEM document, at least one.
func parseCertificates(doc []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, doc = pem.Decode(doc)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a valid certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return certs, nil
}

// tokenExpiry returns the exp claim of a security token (a JWT), without checking its
// signature: only the service that issued it checks that.
func tokenExpiry(token string) (time.Time, error) {
	_, exp, err := tokenTimes(token)
	return exp, err
}

// tokenTimes returns the iat (zero when absent) and exp claims of a JWT.
func tokenTimes(token string) (issued, expires time.Time, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, time.Time{}, errors.New("it is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, time.Time{}, errors.New("its payload is not base64url")
	}
	var claims struct {
		Iat *float64 `json:"iat"`
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, time.Time{}, errors.New("it has no exp claim")
	}
	if claims.Iat != nil {
		issued = time.Unix(int64(*claims.Iat), 0)
	}
	return issued, time.Unix(int64(*claims.Exp), 0), nil
}
