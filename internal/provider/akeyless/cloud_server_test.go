package akeyless

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The cloud side of aws_iam, azure_ad and gcp logins, as Akeyless verifies them: it sends
// the signed STS GetCallerIdentity request of an aws_iam cloud-id to AWS, which checks the
// SigV4 signature with the key's secret and answers the caller's identity; it validates
// Azure AD and GCP tokens with their issuers. Here STS's check is made in process (the
// signature recomputed with the secret STS would know, the date within STS's 15 minutes)
// and the tokens are those the in-process metadata services below issued.

var authorizationRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// cloudIdentity checks a cloud-id for the auth method accessID and returns why it is
// refused, or "".
func (f *fakeAkeyless) cloudIdentity(accessType, accessID, cloudID string) string {
	raw, err := base64.StdEncoding.DecodeString(cloudID)
	if err != nil || cloudID == "" {
		return "cloud-id is not base64"
	}
	switch accessType {
	case "aws_iam":
		if accessID != f.awsAccessID {
			return "no aws_iam auth method " + accessID
		}
		if f.stsEndpoint != "" {
			arn, reason := f.sendToSTS(raw)
			if reason != "" {
				return reason
			}
			if !strings.HasPrefix(arn, f.awsBoundARN) {
				return "the caller identity " + arn + " is not bound to the auth method"
			}
			return ""
		}
		keyID, reason := f.stsCallerIdentity(raw)
		if reason != "" {
			return reason
		}
		if keyID != f.awsBoundKeyID {
			return "the caller identity is not bound to the auth method"
		}
	case "azure_ad":
		object, ok := f.azureTokens[string(raw)]
		bound := ok && object == f.azureObject
		if !ok && f.entraApp != nil {
			app, issued := f.entraApp(string(raw))
			bound = issued && app == f.azureApp && tokenAudience(string(raw)) == "https://management.azure.com/"
		}
		if accessID != f.azureAccessID || !bound {
			return "the azure ad token is not of the bound identity"
		}
	case "gcp":
		issued, ok := f.gcpTokens[string(raw)]
		if accessID != f.gcpAccessID || !ok || issued[0] != f.gcpAccount {
			return "the gcp identity token is not of the bound service account"
		}
		if issued[1] != defaultGCPAudience {
			return "the gcp identity token's audience is not akeyless.io"
		}
	}
	return ""
}

// stsCallerIdentity does what STS does with the request of an aws_iam cloud-id: checks it
// is a GetCallerIdentity to the global endpoint signed, within 15 minutes, by a key it
// knows, and returns that key's id.
func (f *fakeAkeyless) stsCallerIdentity(raw []byte) (string, string) {
	sts, reason := decodeSTSRequest(raw)
	if reason != "" {
		return "", reason
	}
	target, body, headers := sts.url, sts.body, sts.headers
	m := authorizationRE.FindStringSubmatch(headers.Get("Authorization"))
	if m == nil || m[3] != "us-east-1" || m[4] != "sts" {
		return "", "STS: IncompleteSignature"
	}
	secret, ok := f.awsSecrets[m[1]]
	if !ok {
		return "", "STS: InvalidClientTokenId"
	}
	signed, err := time.Parse("20060102T150405Z", headers.Get("X-Amz-Date"))
	if err != nil || time.Since(signed).Abs() > 15*time.Minute || signed.Format("20060102") != m[2] {
		return "", "STS: SignatureDoesNotMatch (request expired)"
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(body))
	for k, v := range headers {
		if k != "Authorization" {
			req.Header[k] = v
		}
	}
	creds := aws.Credentials{AccessKeyID: m[1], SecretAccessKey: secret, SessionToken: headers.Get("X-Amz-Security-Token")}
	payload := headers.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = hexSHA256(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, "sts", "us-east-1", signed); err != nil ||
		req.Header.Get("Authorization") != headers.Get("Authorization") || payload != hexSHA256(body) {
		return "", "STS: SignatureDoesNotMatch"
	}
	return m[1], ""
}

// startAzureIMDS serves Azure's instance metadata identity endpoint (API 2018-02-01) for
// the managed identities of objectIDs (the first is the system-assigned one): GET
// /metadata/identity/oauth2/token with the Metadata: true header and a resource; errors
// are {"error", "error_description"}.
func startAzureIMDS(t *testing.T, f *fakeAkeyless, objectIDs ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, description string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
		}
		q := r.URL.Query()
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/metadata/identity/oauth2/token":
			fail(http.StatusNotFound, "not_found", "The requested URL was not found")
		case r.Header.Get("Metadata") != "true":
			fail(http.StatusBadRequest, "invalid_request", "Required metadata header not specified")
		case q.Get("api-version") == "":
			fail(http.StatusBadRequest, "invalid_request", "Required query variable 'api-version' is missing")
		case q.Get("resource") == "":
			fail(http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		default:
			object := objectIDs[0]
			if q.Get("object_id") != "" {
				object = ""
				for _, o := range objectIDs {
					if o == q.Get("object_id") {
						object = o
					}
				}
			}
			if object == "" {
				fail(http.StatusBadRequest, "invalid_request", "Identity not found")
				return
			}
			token := fakeJWT(map[string]any{"aud": q.Get("resource"), "oid": object, "iss": "https://sts.windows.net/tenant/"})
			f.mu.Lock()
			f.azureTokens[token] = object
			f.mu.Unlock()
			exp := time.Now().Add(time.Hour).Unix()
			_ = json.NewEncoder(w).Encode(map[string]string{"access_token": token, "expires_in": "3599",
				"expires_on": jsonNumber(exp), "resource": q.Get("resource"), "token_type": "Bearer"})
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metadata/identity/oauth2/token"
}

// startGCPMetadata serves the identity endpoint of GCP's metadata server for the default
// service account email: GET .../service-accounts/default/identity?audience=A with the
// Metadata-Flavor: Google header, answering the signed JWT as text.
func startGCPMetadata(t *testing.T, f *fakeAkeyless, email string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		audience := r.URL.Query().Get("audience")
		switch {
		case r.URL.Path != "/computeMetadata/v1/instance/service-accounts/default/identity":
			http.Error(w, "Not Found", http.StatusNotFound)
		case r.Header.Get("Metadata-Flavor") != "Google":
			http.Error(w, "Missing Metadata-Flavor:Google header.", http.StatusForbidden)
		case audience == "":
			http.Error(w, "non-empty audience parameter required", http.StatusBadRequest)
		default:
			token := fakeJWT(map[string]any{"aud": audience, "email": email, "iss": "https://accounts.google.com"})
			f.mu.Lock()
			f.gcpTokens[token] = [2]string{email, audience}
			f.mu.Unlock()
			_, _ = io.WriteString(w, token)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeJWT returns a JWT-shaped token with claims; its issuer verifies it by having issued it.
func fakeJWT(claims map[string]any) string {
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	claims["jti"] = randomHex()
	payload, _ := json.Marshal(claims)
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + "." + randomHex()
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// tokenAudience returns the aud claim of a JWT, unchecked (its issuer vouched for it).
func tokenAudience(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud string `json:"aud"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Aud
}

// sendToSTS sends the signed GetCallerIdentity request of an aws_iam cloud-id, with its
// headers as signed, to the STS at stsEndpoint, as Akeyless sends it to AWS, and returns
// the caller's ARN from STS's answer.
func (f *fakeAkeyless) sendToSTS(raw []byte) (string, string) {
	sts, reason := decodeSTSRequest(raw)
	if reason != "" {
		return "", reason
	}
	req, err := http.NewRequestWithContext(context.Background(), sts.method, f.stsEndpoint, strings.NewReader(sts.body))
	if err != nil {
		return "", "not an STS request"
	}
	headers := sts.headers
	req.Header = headers
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "STS unreachable"
	}
	defer resp.Body.Close()
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if resp.StatusCode != http.StatusOK || xml.NewDecoder(resp.Body).Decode(&out) != nil || out.Arn == "" {
		return "", "STS refused the request: " + resp.Status
	}
	return out.Arn, ""
}

// stsRequest is the request an aws_iam cloud-id carries.
type stsRequest struct {
	method, url, body string
	headers           http.Header
}

// decodeSTSRequest reads an aws_iam cloud-id: JSON of the method, and the base64-encoded
// URL, body and JSON headers; only a GetCallerIdentity to the global endpoint is taken.
func decodeSTSRequest(raw []byte) (stsRequest, string) {
	var doc map[string]string
	if json.Unmarshal(raw, &doc) != nil {
		return stsRequest{}, "cloud-id is not a JSON object"
	}
	decode := func(k string) string {
		v, _ := base64.StdEncoding.DecodeString(doc[k])
		return string(v)
	}
	r := stsRequest{method: doc["sts_request_method"], url: decode("sts_request_url"), body: decode("sts_request_body")}
	if json.Unmarshal([]byte(decode("sts_request_headers")), &r.headers) != nil {
		return stsRequest{}, "sts_request_headers is not JSON"
	}
	if r.method != http.MethodPost || r.url != "https://sts.amazonaws.com/" || r.body != "Action=GetCallerIdentity&Version=2011-06-15" {
		return stsRequest{}, "the STS request is not GetCallerIdentity to sts.amazonaws.com"
	}
	return r, ""
}
