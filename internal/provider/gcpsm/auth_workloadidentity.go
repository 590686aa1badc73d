package gcpsm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// GCPServiceAccountAnnotation on a Kubernetes ServiceAccount names the GCP service account
// it acts as under GKE workload identity.
const GCPServiceAccountAnnotation = "iam.gke.io/gcp-service-account"

const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Endpoints are the Google endpoints of the workload identity and workload identity
// federation exchanges.
type Endpoints struct {
	// STS is the token exchange endpoint, e.g. "https://sts.googleapis.com/v1/token"; it
	// also replaces a credential configuration's token_url, which may only name that URL.
	STS string
	// IAMCredentials is the base of the IAM Credentials API, e.g.
	// "https://iamcredentials.googleapis.com".
	IAMCredentials string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// PubSub is the base of the Pub/Sub API the change feed pulls from; "" means
	// "https://pubsub.googleapis.com".
	PubSub string
}

func defaultEndpoints() Endpoints {
	return Endpoints{STS: "https://sts.googleapis.com/v1/token", IAMCredentials: "https://iamcredentials.googleapis.com"}
}

// workloadIdentity exchanges a Kubernetes ServiceAccount token for a Google access token:
// TokenRequest (audience: the cluster's workload identity pool) → STS token exchange →,
// when the ServiceAccount names a GCP service account, IAM generateAccessToken.
type workloadIdentity struct {
	endpoints Endpoints
	kube      client.Client
	owner     provider.Referent
	namespace string
	spec      esv1.GCPWorkloadIdentity
	project   string
}

func (p Provider) workloadIdentityTokenSource(ctx context.Context, a Access, kube client.Client, namespace string) (oauth2.TokenSource, error) {
	gcp := a.Spec
	wi := &workloadIdentity{
		endpoints: p.endpoints, kube: kube, owner: a.For, namespace: namespace,
		spec: *gcp.Auth.WorkloadIdentity, project: gcp.Auth.WorkloadIdentity.ClusterProjectID,
	}
	if wi.project == "" {
		wi.project = gcp.ProjectID
	}
	// The first token is fetched now, so that a store whose exchange fails is not ready.
	first, err := wi.token(ctx)
	if err != nil {
		return nil, err
	}
	return oauth2.ReuseTokenSource(first, contextTokenSource{wi}), nil
}

// contextTokenSource adapts workloadIdentity to oauth2.TokenSource, which has no context.
type contextTokenSource struct{ wi *workloadIdentity }

func (s contextTokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.wi.token(ctx)
}

func (wi *workloadIdentity) pool() string { return wi.project + ".svc.id.goog" }

func (wi *workloadIdentity) provider() string {
	return fmt.Sprintf("https://container.googleapis.com/v1/projects/%s/locations/%s/clusters/%s",
		wi.project, wi.spec.ClusterLocation, wi.spec.ClusterName)
}

func (wi *workloadIdentity) token(ctx context.Context) (*oauth2.Token, error) {
	const saField = field + ".auth.workloadIdentity.serviceAccountRef"
	sa, err := provider.ServiceAccount(ctx, wi.kube, wi.owner, wi.namespace, wi.spec.ServiceAccountRef, saField)
	if err != nil {
		return nil, err
	}
	audiences := append([]string{wi.pool()}, wi.spec.ServiceAccountRef.Audiences...)
	kubeToken, _, err := provider.ServiceAccountToken(ctx, wi.kube, sa, audiences, 600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", saField, err)
	}
	sts, err := wi.exchange(ctx, kubeToken)
	if err != nil {
		return nil, err
	}
	gcpSA := sa.Annotations[GCPServiceAccountAnnotation]
	if gcpSA == "" {
		return sts, nil
	}
	return wi.impersonate(ctx, sts, gcpSA)
}

// exchange trades the Kubernetes token for a federated access token at STS (RFC 8693).
func (wi *workloadIdentity) exchange(ctx context.Context, kubeToken string) (*oauth2.Token, error) {
	form := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"audience":             {"identitynamespace:" + wi.pool() + ":" + wi.provider()},
		"scope":                {cloudPlatformScope},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"subject_token":        {kubeToken},
		"subject_token_type":   {"urn:ietf:params:oauth:token-type:jwt"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wi.endpoints.STS, bytes.NewBufferString(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("workload identity: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := wi.call(req, "the STS token exchange", &out); err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, errors.New("workload identity: the STS token exchange returned no access token")
	}
	return &oauth2.Token{AccessToken: out.AccessToken, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// impersonate trades the federated token for an access token of the GCP service account.
func (wi *workloadIdentity) impersonate(ctx context.Context, federated *oauth2.Token, gcpSA string) (*oauth2.Token, error) {
	body, _ := json.Marshal(map[string]any{"scope": []string{cloudPlatformScope}})
	u := fmt.Sprintf("%s/v1/projects/-/serviceAccounts/%s:generateAccessToken", wi.endpoints.IAMCredentials, url.PathEscape(gcpSA))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("workload identity: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+federated.AccessToken)
	var out struct {
		AccessToken string    `json:"accessToken"`
		ExpireTime  time.Time `json:"expireTime"`
	}
	if err := wi.call(req, "generateAccessToken for "+gcpSA, &out); err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, fmt.Errorf("workload identity: generateAccessToken for %s returned no access token", gcpSA)
	}
	return &oauth2.Token{AccessToken: out.AccessToken, TokenType: "Bearer", Expiry: out.ExpireTime}, nil
}

// call sends req and decodes a JSON answer; errors name the step and status, never tokens.
func (wi *workloadIdentity) call(req *http.Request, step string, out any) error {
	hc := wi.endpoints.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("workload identity: %s: %w", step, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("workload identity: %s: %w", step, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("workload identity: %s failed with HTTP %d", step, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("workload identity: %s: decoding the answer: %w", step, err)
	}
	return nil
}
