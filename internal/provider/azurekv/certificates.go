package azurekv

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// certificateAPIVersion is the Key Vault REST API version of certificate reads.
const certificateAPIVersion = "7.5"

// certificate is the part of a Key Vault certificate bundle Ferry returns.
type certificate struct {
	CER  []byte
	Tags map[string]*string
}

// certificateClient reads certificates with one REST call through the SDK's pipeline
// (retries, bearer tokens), since the azcertificates module is not available to this
// build. The token scope is the vault's resource: its host without the vault's name.
type certificateClient struct {
	vaultURL string
	pipeline runtime.Pipeline
}

func newCertificateClient(vaultURL, scope string, cred azcore.TokenCredential, co azcore.ClientOptions) (*certificateClient, error) {
	u, err := url.Parse(vaultURL)
	if err != nil {
		return nil, fmt.Errorf("%s.vaultUrl: %w", field, err)
	}
	if scope == "" {
		// my-vault.vault.azure.net → https://vault.azure.net/.default, the scope the
		// vault's own challenge names, so that secrets and certificates share one token.
		_, resource, _ := strings.Cut(u.Hostname(), ".")
		if resource == "" {
			resource = u.Hostname()
		}
		scope = "https://" + resource + "/.default"
	}
	bearer := runtime.NewBearerTokenPolicy(cred, []string{scope}, nil)
	pl := runtime.NewPipeline("ferry/azurekv", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, &co)
	return &certificateClient{vaultURL: vaultURL, pipeline: pl}, nil
}

func (c *certificateClient) GetCertificate(ctx context.Context, name, version string) (certificate, error) {
	path := "/certificates/" + url.PathEscape(name)
	if version != "" {
		path += "/" + url.PathEscape(version)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, c.vaultURL+path)
	if err != nil {
		return certificate{}, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", certificateAPIVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return certificate{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return certificate{}, runtime.NewResponseError(resp)
	}
	var bundle struct {
		CER  string             `json:"cer"`
		Tags map[string]*string `json:"tags"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &bundle); err != nil {
		return certificate{}, err
	}
	der, err := base64.StdEncoding.DecodeString(bundle.CER)
	if err != nil {
		if der, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(bundle.CER, "=")); err != nil {
			return certificate{}, fmt.Errorf("certificate %q: the cer field is not base64", name)
		}
	}
	return certificate{CER: der, Tags: bundle.Tags}, nil
}
