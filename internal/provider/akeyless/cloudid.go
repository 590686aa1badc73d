package akeyless

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/ferryhq/ferry/internal/redact"
)

// The cloud identities of the aws_iam, azure_ad and gcp access types: what /auth takes as
// cloud-id, made as Akeyless's cloud-id libraries make it (akeyless-go-cloud-id, which ESO
// calls), from the identity of the machine or pod Ferry runs as.
const (
	// Akeyless verifies an aws_iam login by sending a signed STS GetCallerIdentity request
	// to AWS: the global endpoint, so the signature is for us-east-1.
	stsURL    = "https://sts.amazonaws.com/"
	stsBody   = "Action=GetCallerIdentity&Version=2011-06-15"
	stsRegion = "us-east-1"

	// Azure's instance metadata service hands the managed identity's token for Azure
	// Resource Manager, which Akeyless verifies.
	azureIMDSURL       = "http://169.254.169.254/metadata/identity/oauth2/token"
	azureIMDSVersion   = "2018-02-01"
	azureADResource    = "https://management.azure.com/"
	gcpMetadataHost    = "metadata.google.internal"
	gcpIdentityPath    = "/computeMetadata/v1/instance/service-accounts/default/identity"
	defaultGCPAudience = "akeyless.io"
)

// metadataTimeout bounds one call to a cloud's metadata service.
const metadataTimeout = 10 * time.Second

// cloudIdentity makes the cloud-id of one access type. Its fields point the metadata
// services and the AWS configuration elsewhere in tests.
type cloudIdentity struct {
	// loadAWS returns the AWS configuration whose credentials sign; nil is the SDK's
	// default chain (environment, web identity of IRSA, shared files, instance role).
	loadAWS func(ctx context.Context) (aws.Config, error)
	// azureIMDS and gcpMetadata are the metadata endpoints; empty is the cloud's own.
	azureIMDS, gcpMetadata string
	now                    func() time.Time
	http                   *http.Client
	// azureWorkload, when set, makes azure_ad's token through Azure Workload Identity.
	azureWorkload func(ctx context.Context) (string, error)
}

// cloudID returns the cloud-id of accessType; param is accessTypeParam: Azure's object id
// of a user-assigned identity, or GCP's audience.
func (c *cloudIdentity) cloudID(ctx context.Context, accessType, param string) (string, error) {
	switch accessType {
	case accessAWSIAM:
		return c.awsCloudID(ctx)
	case accessAzureAD:
		if c.azureWorkload != nil {
			return c.azureWorkload(ctx)
		}
		return c.azureCloudID(ctx, param)
	case accessGCP:
		return c.gcpCloudID(ctx, param)
	}
	return "", fmt.Errorf("no cloud identity for access type %q", accessType)
}

// awsCloudID signs an STS GetCallerIdentity request with the pod's AWS credentials and
// returns it, base64-encoded JSON of its method, URL, headers and body, for Akeyless to
// send to AWS. The credentials themselves are not in it.
func (c *cloudIdentity) awsCloudID(ctx context.Context) (string, error) {
	load := c.loadAWS
	if load == nil {
		load = func(ctx context.Context) (aws.Config, error) {
			return config.LoadDefaultConfig(ctx, config.WithRegion(stsRegion))
		}
	}
	cfg, err := load(ctx)
	if err != nil {
		return "", fmt.Errorf("aws_iam: loading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return "", fmt.Errorf("aws_iam: no AWS credentials: give Ferry's pod an IAM role (IRSA, EKS Pod Identity or an instance role)")
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("aws_iam: retrieving AWS credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, stsURL, strings.NewReader(stsBody))
	if err != nil {
		return "", fmt.Errorf("aws_iam: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(stsBody))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", stsRegion, c.time()); err != nil {
		return "", fmt.Errorf("aws_iam: signing the GetCallerIdentity request: %w", err)
	}
	headers, err := json.Marshal(req.Header)
	if err != nil {
		return "", fmt.Errorf("aws_iam: %w", err)
	}
	doc, err := json.Marshal(map[string]string{
		"sts_request_method":  http.MethodPost,
		"sts_request_url":     b64(stsURL),
		"sts_request_body":    b64(stsBody),
		"sts_request_headers": b64(string(headers)),
	})
	if err != nil {
		return "", fmt.Errorf("aws_iam: %w", err)
	}
	return b64(string(doc)), nil
}

// azureCloudID asks Azure's instance metadata service for the managed identity's token
// for Azure Resource Manager (of the user-assigned identity objectID, when set) and
// returns it base64-encoded.
func (c *cloudIdentity) azureCloudID(ctx context.Context, objectID string) (string, error) {
	base := c.azureIMDS
	if base == "" {
		base = azureIMDSURL
	}
	q := url.Values{"api-version": {azureIMDSVersion}, "resource": {azureADResource}}
	if objectID != "" {
		q.Set("object_id", objectID)
	}
	raw, err := c.metadata(ctx, base+"?"+q.Encode(), "Metadata", "true")
	if err != nil {
		return "", fmt.Errorf("azure_ad: asking the instance metadata service for the managed identity's token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(raw, &out) != nil || out.AccessToken == "" {
		return "", fmt.Errorf("azure_ad: the instance metadata service's answer holds no access_token")
	}
	redact.RememberCredentialString(out.AccessToken)
	return b64(out.AccessToken), nil
}

// gcpCloudID asks GCP's metadata server for an identity token of the instance's (or GKE
// workload identity's) service account for audience (akeyless.io when empty, /auth's
// default) and returns it base64-encoded.
func (c *cloudIdentity) gcpCloudID(ctx context.Context, audience string) (string, error) {
	if audience == "" {
		audience = defaultGCPAudience
	}
	base := c.gcpMetadata
	if base == "" {
		// GCE_METADATA_HOST moves the metadata server, as Google's own libraries honour it.
		host := os.Getenv("GCE_METADATA_HOST")
		if host == "" {
			host = gcpMetadataHost
		}
		base = "http://" + host
	}
	q := url.Values{"audience": {audience}, "format": {"full"}}
	raw, err := c.metadata(ctx, base+gcpIdentityPath+"?"+q.Encode(), "Metadata-Flavor", "Google")
	if err != nil {
		return "", fmt.Errorf("gcp: asking the metadata server for an identity token: %w", err)
	}
	token := strings.TrimSpace(string(raw))
	if strings.Count(token, ".") != 2 {
		return "", fmt.Errorf("gcp: the metadata server's answer is not an identity token (%d bytes)", len(raw))
	}
	redact.RememberCredentialString(token)
	return b64(token), nil
}

// metadata GETs a metadata endpoint with the header it requires. A refusal quotes the
// service's error description, never a body that could hold a token.
func (c *cloudIdentity) metadata(ctx context.Context, endpoint, header, value string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	// The endpoint is a cloud's fixed metadata address, or GCE_METADATA_HOST of Ferry's own
	// environment, as Google's libraries honour it: not a user's input.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil) //nolint:gosec // G704: see above
	if err != nil {
		return nil, err
	}
	req.Header.Set(header, value)
	resp, err := c.http.Do(req) //nolint:gosec // G704: see above
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var body struct {
			Description string `json:"error_description"`
		}
		if json.Unmarshal(raw, &body) == nil && body.Description != "" {
			return nil, fmt.Errorf("status %d: %s", resp.StatusCode, truncate(body.Description))
		}
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return raw, nil
}

func (c *cloudIdentity) time() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// newMetadataClient is the client of the metadata services: never through a proxy, which
// would see the tokens and cannot reach a link-local address anyway.
func newMetadataClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: metadataTimeout}
}
