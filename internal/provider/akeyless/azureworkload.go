package akeyless

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
)

// Azure Workload Identity, as ESO's provider uses it for azure_ad when
// authSecretRef.serviceAccountRef is set: the ServiceAccount's annotations name the Entra ID
// application and tenant, and its token (audience api://AzureADTokenExchange) is traded for
// that application's token for Azure Resource Manager, which is the cloud-id.
const (
	azureClientIDAnnotation = "azure.workload.identity/client-id"
	azureTenantIDAnnotation = "azure.workload.identity/tenant-id"
	azureTokenExchange      = "api://AzureADTokenExchange"
	azureADScope            = "https://management.azure.com/.default"
)

// azureWorkloadIdentity returns the maker of azure_ad's cloud-id for the ServiceAccount
// ref names. The client id is the ServiceAccount's annotation, else accessTypeParam; the
// tenant its annotation, else AZURE_TENANT_ID (as ESO).
func (p *Provider) azureWorkloadIdentity(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	ref esv1.ServiceAccountSelector, param string) (func(context.Context) (string, error), error) {
	const field = authField + ".serviceAccountRef"
	sa, err := provider.ServiceAccount(ctx, kube, store, namespace, ref, field)
	if err != nil {
		return nil, err
	}
	clientID := sa.Annotations[azureClientIDAnnotation]
	if clientID == "" {
		clientID = param
	}
	if clientID == "" {
		return nil, fmt.Errorf("%s: azure_ad needs the Entra ID application's client id: annotate ServiceAccount %s/%s with %s, or set accessTypeParam",
			field, sa.Namespace, sa.Name, azureClientIDAnnotation)
	}
	tenant := sa.Annotations[azureTenantIDAnnotation]
	if tenant == "" {
		tenant = os.Getenv("AZURE_TENANT_ID")
	}
	if tenant == "" {
		return nil, fmt.Errorf("%s: azure_ad needs the tenant id: annotate ServiceAccount %s/%s with %s, or set AZURE_TENANT_ID in Ferry's pod",
			field, sa.Namespace, sa.Name, azureTenantIDAnnotation)
	}
	audiences := append(slices.Clone(ref.Audiences), azureTokenExchange)
	assertion := func(ctx context.Context) (string, error) {
		token, _, err := provider.ServiceAccountToken(ctx, kube, sa, audiences, tokenRequestSeconds)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return token, nil
	}
	opts := &azidentity.ClientAssertionCredentialOptions{}
	if p.entraAuthority != "" {
		opts.ClientOptions = azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: p.entraAuthority}, Transport: p.entraHTTP}
		opts.DisableInstanceDiscovery = true
	}
	cred, err := azidentity.NewClientAssertionCredential(tenant, clientID, assertion, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return func(ctx context.Context) (string, error) {
		token, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{azureADScope}})
		if err != nil {
			return "", fmt.Errorf("azure_ad: trading ServiceAccount %s/%s's token with Entra ID: %w", sa.Namespace, sa.Name, err)
		}
		redact.RememberCredentialString(token.Token)
		return b64(token.Token), nil
	}, nil
}
