package generator

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/validation"
)

const (
	// beyondtrustAPIVersionHeader and beyondtrustAPIVersion name the version of
	// BeyondTrust's Secrets API every request must carry.
	beyondtrustAPIVersionHeader = "bt-secrets-api-version"
	beyondtrustAPIVersion       = "2026-04-28"
)

// BeyondtrustWorkloadCredentialsDynamicSecret generates credentials from a dynamic secret
// definition of BeyondTrust Workload Credentials: POST
// {apiUrl}/{siteId}/secrets/dynamic/{name}/generate?folder={folder}, authenticated by the
// API key (a personal access token, sent as Bearer), where folderPath is {folder}/{name}.
// The keys are those of External Secrets Operator: accessKeyId, secretAccessKey, leaseId,
// expiration, and sessionToken when the answer has one. The server is verified with
// caBundle and caProvider when set, else with the system's roots.
type BeyondtrustWorkloadCredentialsDynamicSecret struct {
	api *apiClient
}

// NewBeyondtrustWorkloadCredentialsDynamicSecret returns the generator.
func NewBeyondtrustWorkloadCredentialsDynamicSecret(opts ...Option) *BeyondtrustWorkloadCredentialsDynamicSecret {
	return &BeyondtrustWorkloadCredentialsDynamicSecret{api: newAPIClient(opts...)}
}

// Kind returns "BeyondtrustWorkloadCredentialsDynamicSecret".
func (*BeyondtrustWorkloadCredentialsDynamicSecret) Kind() string {
	return genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind
}

// Generate asks the server for a new set of credentials of the definition.
func (g *BeyondtrustWorkloadCredentialsDynamicSecret) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	p := spec.BeyondtrustWorkloadCredentialsDynamicSecretSpec.Provider
	folder, name, ok := validation.BeyondtrustDynamicSecretPath(p.FolderPath)
	if !ok {
		return nil, invalid(fmt.Errorf("spec.provider.folderPath: %q names no dynamic secret", p.FolderPath))
	}
	apiKey, err := secretKey(ctx, kube, namespace, p.Auth.APIKey.Token, "spec.provider.auth.apikey.token")
	if err != nil {
		return nil, err
	}
	api, err := g.client(ctx, kube, namespace, &p)
	if err != nil {
		return nil, err
	}
	endpoint := strings.TrimRight(p.Server.APIURL, "/") + "/" + url.PathEscape(p.Server.SiteID) +
		"/secrets/dynamic/" + url.PathEscape(name) + "/generate"
	if folder != "" {
		endpoint += "?" + url.Values{"folder": {folder}}.Encode()
	}
	var answer struct {
		Secret struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			LeaseID         string `json:"leaseId"`
			Expiration      string `json:"expiration"`
		} `json:"secret"`
	}
	err = api.do(ctx, apiRequest{method: http.MethodPost, url: endpoint, header: http.Header{
		"Authorization":             {"Bearer " + string(apiKey)},
		beyondtrustAPIVersionHeader: {beyondtrustAPIVersion},
	}, ok: []int{http.StatusCreated, http.StatusOK}, out: &answer})
	if err != nil {
		return nil, fmt.Errorf("generating dynamic secret %q: %w", p.FolderPath, err)
	}
	s := answer.Secret
	if s.AccessKeyID == "" || s.SecretAccessKey == "" {
		return nil, fmt.Errorf("generating dynamic secret %q: the answer holds no accessKeyId and secretAccessKey", p.FolderPath)
	}
	values := map[string][]byte{
		"accessKeyId":     []byte(s.AccessKeyID),
		"secretAccessKey": []byte(s.SecretAccessKey),
		"leaseId":         []byte(s.LeaseID),
		"expiration":      []byte(s.Expiration),
	}
	if s.SessionToken != "" {
		values["sessionToken"] = []byte(s.SessionToken)
	}
	return values, nil
}

// client returns the API client that verifies the server with the provider's caBundle and
// caProvider (read in namespace), or the generator's own when neither is set.
func (g *BeyondtrustWorkloadCredentialsDynamicSecret) client(ctx context.Context, kube client.Client, namespace string,
	p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) (*apiClient, error) {
	if len(p.CABundle) == 0 && p.CAProvider == nil {
		return g.api, nil
	}
	if len(p.CABundle) > 0 && !x509.NewCertPool().AppendCertsFromPEM(p.CABundle) {
		return nil, invalid(errors.New("spec.provider.caBundle: no PEM certificate found"))
	}
	if p.CAProvider != nil {
		if err := inNamespace(p.CAProvider.Namespace, namespace, "spec.provider.caProvider", "reads CA certificates"); err != nil {
			return nil, err
		}
	}
	// A SecretStore of the ExternalSecret's namespace: the caProvider's reference stays there.
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "beyondtrust-generator"}}
	pool, err := provider.CertPool(ctx, kube, store, namespace, p.CABundle, p.CAProvider, "spec.provider")
	if err != nil {
		return nil, err
	}
	return &apiClient{http: restclient.NewHTTPClient(pool, apiTimeout)}, nil
}
