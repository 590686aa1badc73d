package tokenapi

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Subject token types Google's Security Token Service accepts from workload identity
// pools (RFC 8693 and Google's AWS extension).
const (
	subjectTypeJWT     = "urn:ietf:params:oauth:token-type:jwt"
	subjectTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	subjectTypeAWS     = "urn:ietf:params:aws:token-type:aws4_request"
)

// poolProvider is a workload identity pool provider of workload identity federation: an
// OIDC provider whose tokens the test cluster's issuer signs, or an AWS provider that
// accepts callers signing GetCallerIdentity with the keys it knows.
type poolProvider struct {
	resource  string            // projects/N/locations/global/workloadIdentityPools/P/providers/X
	audiences []string          // the OIDC provider's allowed audiences
	awsKeys   map[string]string // the AWS provider's access key id → secret access key
	awsARN    map[string]string // access key id → the caller's ARN GetCallerIdentity names
}

// principal is the federated principal of subject in the provider's pool.
func (p *poolProvider) principal(subject string) string {
	pool, _, _ := strings.Cut(p.resource, "/providers/")
	return "principal://iam.googleapis.com/" + pool + "/subject/" + subject
}

// AddOIDCProvider adds an OIDC provider X to the workload identity pool P of the project
// numbered projectNumber, trusting the test cluster's ServiceAccount tokens, and returns the
// audience a client names it by (//iam.googleapis.com/projects/N/...). Tokens must be
// issued for one of allowedAudiences; with none, Google's default, the provider's own
// https://iam.googleapis.com/projects/N/... URL.
func (g *Google) AddOIDCProvider(projectNumber, pool, provider string, allowedAudiences ...string) string {
	p := &poolProvider{resource: poolResource(projectNumber, pool, provider), audiences: allowedAudiences}
	if len(p.audiences) == 0 {
		p.audiences = []string{"https://iam.googleapis.com/" + p.resource}
	}
	return g.addProvider(p)
}

// AddAWSProvider adds an AWS provider X to the pool P that accepts the AWS access key
// accessKeyID (secret secretAccessKey) as the caller arn, and returns its audience.
func (g *Google) AddAWSProvider(projectNumber, pool, provider, accessKeyID, secretAccessKey, arn string) string {
	p := &poolProvider{resource: poolResource(projectNumber, pool, provider),
		awsKeys: map[string]string{accessKeyID: secretAccessKey}, awsARN: map[string]string{accessKeyID: arn}}
	return g.addProvider(p)
}

func poolResource(projectNumber, pool, provider string) string {
	return fmt.Sprintf("projects/%s/locations/global/workloadIdentityPools/%s/providers/%s", projectNumber, pool, provider)
}

func (g *Google) addProvider(p *poolProvider) string {
	audience := "//iam.googleapis.com/" + p.resource
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pools == nil {
		g.pools = map[string]*poolProvider{}
	}
	g.pools[audience] = p
	return audience
}

// FederatedPrincipal is the principal Google names a subject of the provider of audience
// by: principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/
// subject/S. Bind it to a service account with BindPrincipal.
func (g *Google) FederatedPrincipal(audience, subject string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pools[audience].principal(subject)
}

// BindPrincipal lets a federated principal act as the GCP service account email
// (roles/iam.workloadIdentityUser).
func (g *Google) BindPrincipal(email, principal string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bindings[email] = append(g.bindings[email], principal)
}

// federate is the Security Token Service's exchange for a workload identity pool
// provider: the subject token is verified as the provider's kind requires, and the
// federated access token names the principal.
func (g *Google) federate(w http.ResponseWriter, r *http.Request) {
	audience := r.PostForm.Get("audience")
	g.mu.Lock()
	p := g.pools[audience]
	g.mu.Unlock()
	if p == nil {
		oauthError(w, http.StatusBadRequest, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid. "+
			"This might either be because the pool or provider is disabled or deleted or because it doesn't exist.")
		return
	}
	if !slices.Contains(strings.Fields(r.PostForm.Get("scope")), cloudPlatformScope) {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
		return
	}
	if r.PostForm.Get("requested_token_type") != "urn:ietf:params:oauth:token-type:access_token" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid value for \"requested_token_type\".")
		return
	}
	subjectType, subjectToken := r.PostForm.Get("subject_token_type"), r.PostForm.Get("subject_token")
	var subject string
	claims := &KubeClaims{}
	switch {
	case p.awsKeys != nil && subjectType == subjectTypeAWS:
		arn, refusal := p.verifyAWS(subjectToken, audience)
		if refusal != "" {
			oauthError(w, http.StatusBadRequest, "invalid_grant", refusal)
			return
		}
		subject = arn
	case p.awsKeys == nil && (subjectType == subjectTypeJWT || subjectType == subjectTypeIDToken):
		verified, err := g.issuer.Verify(subjectToken)
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid ID Token.")
			return
		}
		if !slices.ContainsFunc(p.audiences, verified.HasAudience) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", fmt.Sprintf("The audience in ID Token %v does not match the expected audience.",
				verified.Audience))
			return
		}
		subject, claims = verified.Subject, verified
	default:
		oauthError(w, http.StatusBadRequest, "invalid_request", "Invalid value for \"subject_token_type\".")
		return
	}
	principal := p.principal(subject)
	token := g.issue(principal, claims, time.Hour, map[string]any{"iss": "sts.googleapis.com", "federated": principal})
	writeJSON(w, http.StatusOK, map[string]any{"access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"token_type": "Bearer", "expires_in": 3600})
}

// awsRegionalSTS is the form of the GetCallerIdentity request Google accepts as an AWS
// subject token: POST to a regional STS endpoint.
var awsRegionalSTS = regexp.MustCompile(`^https://sts\.([a-z0-9-]+)\.amazonaws\.com\?Action=GetCallerIdentity&Version=2011-06-15$`)

// verifyAWS checks an AWS subject token (Google's serialized, signed GetCallerIdentity
// request) as Google does by forwarding it to AWS: its form, the target resource header,
// and the Signature Version 4 with the provider's keys. It returns the caller's ARN, or the
// refusal.
func (p *poolProvider) verifyAWS(subjectToken, audience string) (arn, refusal string) {
	raw, err := url.QueryUnescape(subjectToken)
	var signed struct {
		URL     string `json:"url"`
		Method  string `json:"method"`
		Headers []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"headers"`
	}
	if err != nil || json.Unmarshal([]byte(raw), &signed) != nil {
		return "", "The subject token is not a valid serialized AWS GetCallerIdentity request."
	}
	m := awsRegionalSTS.FindStringSubmatch(signed.URL)
	if m == nil || signed.Method != http.MethodPost {
		return "", "The AWS request must be a POST to a regional STS GetCallerIdentity endpoint."
	}
	req, _ := http.NewRequest(signed.Method, signed.URL, nil)
	for _, h := range signed.Headers {
		req.Header.Add(h.Key, h.Value)
	}
	req.Host = req.URL.Host
	if req.Header.Get("x-goog-cloud-target-resource") != audience {
		return "", "The x-goog-cloud-target-resource header does not match the audience."
	}
	auth := sigV4Header.FindStringSubmatch(req.Header.Get("Authorization"))
	amzDate := req.Header.Get("X-Amz-Date")
	if auth == nil || len(amzDate) != len("20060102T150405Z") {
		return "", "Received invalid AWS response of type IncompleteSignature."
	}
	keyID, date, region, service, signedHeaders, signature := auth[1], auth[2], auth[3], auth[4], auth[5], auth[6]
	secret, known := p.awsKeys[keyID]
	if !known {
		return "", "Received invalid AWS response of type InvalidClientTokenId with error message: The security token included in the request is invalid."
	}
	headers := strings.Split(signedHeaders, ";")
	scope := date + "/" + region + "/" + service
	if region != m[1] || service != "sts" || !strings.HasPrefix(amzDate, date) ||
		!slices.Contains(headers, "x-goog-cloud-target-resource") ||
		!hmac.Equal([]byte(signature), []byte(sigV4(secret, req, nil, headers, amzDate, scope))) {
		return "", "Received invalid AWS response of type SignatureDoesNotMatch with error message: " +
			"The request signature we calculated does not match the signature you provided."
	}
	return p.awsARN[keyID], ""
}
