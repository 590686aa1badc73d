package tokenapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// ECRPublicLogin is one authorization token ECRPublic issued.
type ECRPublicLogin struct {
	User, Password string
	ExpiresAt      time.Time
	// Scope is the credential scope the request was signed for: DATE/REGION/SERVICE.
	Scope string
}

// ECRPublic serves Amazon ECR Public's GetAuthorizationToken over plain HTTP on loopback,
// as the AWS API reference and the service's model describe it: AWS JSON protocol 1.1
// (POST / with Content-Type application/x-amz-json-1.1 and
// X-Amz-Target: SpencerFrontendService.GetAuthorizationToken), Signature Version 4 for the
// signing name ecr-public in us-east-1, the only region with the API. The signature is
// verified with the one key pair the server knows. The answer is
// {"authorizationData": {"authorizationToken": base64("AWS:<token>"), "expiresAt": <epoch
// seconds>}}, valid 12 hours; errors are JSON 1.1 errors, {"__type": ..., "message": ...}
// with the type also in X-Amzn-ErrorType.
type ECRPublic struct {
	URL string // http://127.0.0.1:PORT

	server                       *httptest.Server
	accessKeyID, secretAccessKey string

	mu     sync.Mutex
	issued []ECRPublicLogin
	calls  int
}

// NewECRPublic starts a server that accepts requests signed with the given key pair.
func NewECRPublic(accessKeyID, secretAccessKey string) *ECRPublic {
	e := &ECRPublic{accessKeyID: accessKeyID, secretAccessKey: secretAccessKey}
	mux := http.NewServeMux()
	mux.HandleFunc("/", e.serve)
	e.server = httptest.NewServer(mux)
	e.URL = e.server.URL
	return e
}

// Close stops the server.
func (e *ECRPublic) Close() { e.server.Close() }

// Issued returns the tokens issued, oldest first.
func (e *ECRPublic) Issued() []ECRPublicLogin {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ECRPublicLogin(nil), e.issued...)
}

// Calls counts the requests received, refused ones included.
func (e *ECRPublic) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

const (
	ecrPublicTarget  = "SpencerFrontendService.GetAuthorizationToken"
	ecrPublicService = "ecr-public"
	ecrPublicRegion  = "us-east-1"
	amzJSON11        = "application/x-amz-json-1.1"
)

// awsError writes an error of the AWS JSON 1.1 protocol.
func awsError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", amzJSON11)
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": errorType, "message": message})
}

func (e *ECRPublic) serve(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		awsError(w, http.StatusNotFound, "UnknownOperationException", "")
		return
	}
	scope, status, errorType, message := e.authenticate(r, body)
	if errorType != "" {
		awsError(w, status, errorType, message)
		return
	}
	if r.Header.Get("X-Amz-Target") != ecrPublicTarget {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), amzJSON11) {
		awsError(w, http.StatusBadRequest, "SerializationException", "")
		return
	}
	var input map[string]any
	if json.Unmarshal(body, &input) != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected.")
		return
	}
	if len(input) != 0 {
		awsError(w, http.StatusBadRequest, "InvalidParameterException", "GetAuthorizationToken takes no parameters")
		return
	}
	login := ECRPublicLogin{User: "AWS", Password: randomToken(64), ExpiresAt: time.Now().Add(12 * time.Hour).Truncate(time.Second), Scope: scope}
	e.mu.Lock()
	e.issued = append(e.issued, login)
	e.mu.Unlock()
	w.Header().Set("Content-Type", amzJSON11)
	_ = json.NewEncoder(w).Encode(map[string]any{"authorizationData": map[string]any{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte(login.User + ":" + login.Password)),
		"expiresAt":          login.ExpiresAt.Unix(),
	}})
}

var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$`)

// authenticate checks the request's Signature Version 4 as AWS does: the header's form,
// the key, the scope (date, us-east-1, ecr-public) and the signature itself. It returns
// the scope, or the refusal.
func (e *ECRPublic) authenticate(r *http.Request, body []byte) (scope string, status int, errorType, message string) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	m := sigV4Header.FindStringSubmatch(auth)
	amzDate := r.Header.Get("X-Amz-Date")
	if m == nil || len(amzDate) != len("20060102T150405Z") {
		return "", http.StatusBadRequest, "IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature, and X-Amz-Date"
	}
	keyID, date, region, service, signedHeaders, signature := m[1], m[2], m[3], m[4], m[5], m[6]
	scope = date + "/" + region + "/" + service
	if keyID != e.accessKeyID {
		return "", http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if region != ecrPublicRegion || service != ecrPublicService || !strings.HasPrefix(amzDate, date) {
		return "", http.StatusForbidden, "InvalidSignatureException",
			fmt.Sprintf("Credential should be scoped to a valid region and to the service %s.", ecrPublicService)
	}
	headers := strings.Split(signedHeaders, ";")
	if !slices.Contains(headers, "host") || !slices.Contains(headers, "x-amz-date") {
		return "", http.StatusForbidden, "InvalidSignatureException", "Host and X-Amz-Date must be signed."
	}
	if !hmac.Equal([]byte(signature), []byte(sigV4(e.secretAccessKey, r, body, headers, amzDate, scope))) {
		return "", http.StatusForbidden, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided."
	}
	return scope, 0, "", ""
}

// sigV4 computes the request's Signature Version 4 with secretAccessKey.
func sigV4(secretAccessKey string, r *http.Request, body []byte, signedHeaders []string, amzDate, scope string) string {
	var canonical strings.Builder
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/" // a request to the host itself, such as GetCallerIdentity's
	}
	canonical.WriteString(r.Method + "\n" + path + "\n" + r.URL.RawQuery + "\n")
	for _, name := range signedHeaders {
		value := r.Header.Get(name)
		if name == "host" {
			value = r.Host
		}
		canonical.WriteString(name + ":" + strings.Join(strings.Fields(value), " ") + "\n")
	}
	canonical.WriteString("\n" + strings.Join(signedHeaders, ";") + "\n" + hexSHA256(body))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "/aws4_request\n" + hexSHA256([]byte(canonical.String()))
	key := []byte("AWS4" + secretAccessKey)
	for _, part := range append(strings.Split(scope, "/"), "aws4_request") {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}
