package generator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// acrUsername is the user name that tells a registry the password is an ACR token.
const acrUsername = "00000000-0000-0000-0000-000000000000"

// AzureCredentials builds Entra ID credentials with the Azure Key Vault provider's code, so
// a generator authenticates exactly as a Key Vault store does; azurekv.New returns one.
type AzureCredentials interface {
	// ValidateAccess checks an identity as written, without any call.
	ValidateAccess(a identity.Azure) error
	// Credential validates an identity written as spec.provider.azurekv's auth and returns
	// its credential.
	Credential(ctx context.Context, a identity.Azure, kube client.Client, namespace string) (azcore.TokenCredential, error)
}

// ACRAccessToken generates logins for an Azure Container Registry: an Entra ID token of the
// spec's identity (for Azure Resource Manager) is exchanged at POST
// https://{registry}/oauth2/exchange for an ACR refresh token, and, when scope is set, that
// one at POST /oauth2/token for an access token of that scope. The keys are those of
// External Secrets Operator: username (the null GUID registries expect with these tokens)
// and password (the token).
type ACRAccessToken struct {
	azure AzureCredentials
	api   *apiClient
}

// NewACRAccessToken returns the generator; azure authenticates it.
func NewACRAccessToken(azure AzureCredentials, opts ...Option) *ACRAccessToken {
	return &ACRAccessToken{azure: azure, api: newAPIClient(opts...)}
}

// Kind returns "ACRAccessToken".
func (*ACRAccessToken) Kind() string { return genv1alpha1.ACRAccessTokenKind }

// Generate obtains an Entra ID token and trades it for an ACR token.
func (g *ACRAccessToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.ACRAccessTokenSpec
	id, err := acrAccess(s, namespace)
	if err != nil {
		return nil, err
	}
	if err := g.azure.ValidateAccess(id); err != nil {
		return nil, invalid(acrFields(err))
	}
	cred, err := g.azure.Credential(ctx, id, kube, namespace)
	if err != nil {
		return nil, acrFields(err)
	}
	aad, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope(s.EnvironmentType)}})
	if err != nil {
		return nil, acrFields(fmt.Errorf("login to Entra ID: %w", entraFailure(err)))
	}
	base := "https://" + s.Registry
	form := url.Values{"grant_type": {"access_token"}, "service": {s.Registry}, "access_token": {aad.Token}}
	if s.TenantID != "" {
		form.Set("tenant", s.TenantID)
	}
	var refresh struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := g.api.do(ctx, apiRequest{method: http.MethodPost, url: base + "/oauth2/exchange", form: form,
		ok: []int{http.StatusOK}, out: &refresh}); err != nil {
		return nil, fmt.Errorf("ACR refresh token: %w", err)
	}
	if refresh.RefreshToken == "" {
		return nil, errors.New("ACR refresh token: the answer holds no refresh_token")
	}
	if s.Scope == "" {
		return map[string][]byte{"username": []byte(acrUsername), "password": []byte(refresh.RefreshToken)}, nil
	}
	var access struct {
		AccessToken string `json:"access_token"`
	}
	form = url.Values{"grant_type": {"refresh_token"}, "service": {s.Registry}, "scope": {s.Scope}, "refresh_token": {refresh.RefreshToken}}
	if err := g.api.do(ctx, apiRequest{method: http.MethodPost, url: base + "/oauth2/token", form: form,
		ok: []int{http.StatusOK}, out: &access}); err != nil {
		return nil, fmt.Errorf("ACR access token: %w", err)
	}
	if access.AccessToken == "" {
		return nil, errors.New("ACR access token: the answer holds no access_token")
	}
	return map[string][]byte{"username": []byte(acrUsername), "password": []byte(access.AccessToken)}, nil
}

// acrAccess expresses the spec's auth in the Key Vault provider's terms, used by the
// generator in namespace, the ExternalSecret's: its Secrets and ServiceAccount are read
// there, so a reference to another namespace is an invalid spec, also for a ClusterGenerator.
func acrAccess(s *genv1alpha1.ACRAccessTokenSpec, namespace string) (identity.Azure, error) {
	az := &esv1.AzureKVProvider{EnvironmentType: s.EnvironmentType}
	if s.TenantID != "" {
		az.TenantID = ptrTo(s.TenantID)
	}
	switch a := s.Auth; {
	case a.ServicePrincipal != nil:
		ref := a.ServicePrincipal.SecretRef
		az.AuthType = ptrTo(esv1.AzureServicePrincipal)
		az.AuthSecretRef = &esv1.AzureKVAuth{ClientID: ptrTo(ref.ClientID), ClientSecret: ptrTo(ref.ClientSecret)}
	case a.ManagedIdentity != nil:
		az.AuthType = ptrTo(esv1.AzureManagedIdentity)
		if a.ManagedIdentity.IdentityID != "" {
			az.IdentityID = ptrTo(a.ManagedIdentity.IdentityID)
		}
	case a.WorkloadIdentity != nil:
		az.AuthType = ptrTo(esv1.AzureWorkloadIdentity)
		az.ServiceAccountRef = a.WorkloadIdentity.ServiceAccountRef
	default:
		return identity.Azure{}, invalid(fmt.Errorf("spec.auth: set one of servicePrincipal, managedIdentity and workloadIdentity"))
	}
	return identity.Azure{For: provider.GeneratorUse{Kind: genv1alpha1.ACRAccessTokenKind, Namespace: namespace}, Spec: az}, nil
}

// armScope is the Entra ID scope of Azure Resource Manager in env, the audience ACR's
// exchange accepts.
func armScope(env esv1.AzureEnvironmentType) string {
	switch env {
	case esv1.AzureEnvironmentChinaCloud:
		return "https://management.chinacloudapi.cn/.default"
	case esv1.AzureEnvironmentUSGovernmentCloud:
		return "https://management.usgovcloudapi.net/.default"
	case esv1.AzureEnvironmentGermanCloud:
		return "https://management.microsoftazure.de/.default"
	}
	return "https://management.azure.com/.default"
}

// acrFields rewrites the field paths of the Key Vault provider's errors into the
// generator's own.
func acrFields(err error) error {
	msg := strings.NewReplacer(
		"spec.provider.azurekv.authSecretRef.", "spec.auth.servicePrincipal.secretRef.",
		"spec.provider.azurekv.serviceAccountRef", "spec.auth.workloadIdentity.serviceAccountRef",
		"spec.provider.azurekv.tenantId", "spec.tenantId",
		"spec.provider.azurekv", "spec.auth",
	).Replace(err.Error())
	return &renamed{err: err, msg: msg}
}

// entraFailure keeps, of a failed Entra ID login, the call, the status and the platform's
// error_description, not the whole answer the SDK's error quotes.
func entraFailure(err error) error {
	var failed *azidentity.AuthenticationFailedError
	if !errors.As(err, &failed) || failed.RawResponse == nil || failed.RawResponse.Request == nil {
		return unwrapURL(err)
	}
	resp := failed.RawResponse
	var raw []byte
	if resp.Body != nil {
		raw, _ = io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	}
	return refusal(callOf(resp.Request), resp.StatusCode, raw)
}

func ptrTo[T any](v T) *T { return &v }
