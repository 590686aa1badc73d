package azurekv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Annotations of a ServiceAccount used with workload identity, as Azure Workload Identity
// defines them.
const (
	ClientIDAnnotation = "azure.workload.identity/client-id"
	TenantIDAnnotation = "azure.workload.identity/tenant-id"
)

// workloadIdentityAudience is the audience Entra ID expects of a federated token.
const workloadIdentityAudience = "api://AzureADTokenExchange"

// cloudConfig returns the SDK's cloud (its login endpoint) for the store's environment.
func (p Provider) cloudConfig(az *esv1.AzureKVProvider) cloud.Configuration {
	var c cloud.Configuration
	switch az.EnvironmentType {
	case esv1.AzureEnvironmentUSGovernmentCloud:
		c = cloud.AzureGovernment
	case esv1.AzureEnvironmentChinaCloud:
		c = cloud.AzureChina
	case esv1.AzureEnvironmentGermanCloud:
		c = cloud.Configuration{ActiveDirectoryAuthorityHost: "https://login.microsoftonline.de/"}
	case esv1.AzureEnvironmentAzureStackCloud:
		c = cloud.Configuration{ActiveDirectoryAuthorityHost: az.CustomCloudConfig.ActiveDirectoryEndpoint}
	default:
		c = cloud.AzurePublic
	}
	if p.authorityHost != "" {
		c = cloud.Configuration{ActiveDirectoryAuthorityHost: p.authorityHost}
	}
	return c
}

func (p Provider) clientOptions(az *esv1.AzureKVProvider) azcore.ClientOptions {
	co := azcore.ClientOptions{Cloud: p.cloudConfig(az)}
	if p.httpClient != nil {
		co.Transport = p.httpClient
	}
	return co
}

// credential builds the store's credential. Credentials cache their tokens, so one
// credential per client logs in once per token lifetime.
func (p Provider) credential(ctx context.Context, a Access, kube client.Client, namespace string) (azcore.TokenCredential, error) {
	az := a.Spec
	co := p.clientOptions(az)
	switch authType(az) {
	case esv1.AzureManagedIdentity:
		opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if az.IdentityID != nil && *az.IdentityID != "" {
			if strings.HasPrefix(*az.IdentityID, "/") {
				opts.ID = azidentity.ResourceID(*az.IdentityID)
			} else {
				opts.ID = azidentity.ClientID(*az.IdentityID)
			}
		}
		return azidentity.NewManagedIdentityCredential(opts)
	case esv1.AzureWorkloadIdentity:
		return p.workloadIdentity(ctx, a, kube, namespace, co)
	default:
		return p.servicePrincipal(ctx, a, kube, namespace, co)
	}
}

func (p Provider) servicePrincipal(ctx context.Context, a Access, kube client.Client, namespace string, co azcore.ClientOptions) (azcore.TokenCredential, error) {
	az := a.Spec
	ref := az.AuthSecretRef
	read := func(sel *esv1.SecretKeySelector, name string) (string, error) {
		v, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, *sel, field+".authSecretRef."+name)
		return strings.TrimSpace(string(v)), err
	}
	clientID, err := read(ref.ClientID, "clientId")
	if err != nil {
		return nil, err
	}
	tenant := ""
	if az.TenantID != nil {
		tenant = *az.TenantID
	}
	if tenant == "" {
		if tenant, err = read(ref.TenantID, "tenantId"); err != nil {
			return nil, err
		}
	}
	if ref.ClientSecret != nil {
		secret, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, *ref.ClientSecret, field+".authSecretRef.clientSecret")
		if err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientSecretCredential(tenant, clientID, string(secret),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: p.authorityHost != ""})
		if err != nil {
			return nil, fmt.Errorf("%s.authSecretRef: %w", field, err)
		}
		return cred, nil
	}
	pem, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, *ref.ClientCertificate, field+".authSecretRef.clientCertificate")
	if err != nil {
		return nil, err
	}
	certs, key, err := azidentity.ParseCertificates(pem, nil)
	if err != nil {
		return nil, errors.New(field + ".authSecretRef.clientCertificate: the key holds no PEM certificate and private key")
	}
	cred, err := azidentity.NewClientCertificateCredential(tenant, clientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: p.authorityHost != ""})
	if err != nil {
		return nil, fmt.Errorf("%s.authSecretRef.clientCertificate: %w", field, err)
	}
	return cred, nil
}

// workloadIdentity exchanges a token of the ServiceAccount (audience
// api://AzureADTokenExchange) for an Entra ID token of the application the ServiceAccount's
// annotation names. A new ServiceAccount token is requested only when Entra ID's token is
// due for renewal.
func (p Provider) workloadIdentity(ctx context.Context, a Access, kube client.Client, namespace string, co azcore.ClientOptions) (azcore.TokenCredential, error) {
	az := a.Spec
	const saField = field + ".serviceAccountRef"
	if az.ServiceAccountRef == nil {
		return mountedWorkloadIdentity(az, co, p.authorityHost != "")
	}
	sa, err := provider.ServiceAccount(ctx, kube, a.For, namespace, *az.ServiceAccountRef, saField)
	if err != nil {
		return nil, err
	}
	clientID := sa.Annotations[ClientIDAnnotation]
	if clientID == "" {
		return nil, fmt.Errorf("%s: ServiceAccount %s/%s has no %s annotation", saField, sa.Namespace, sa.Name, ClientIDAnnotation)
	}
	tenant := sa.Annotations[TenantIDAnnotation]
	if az.TenantID != nil && *az.TenantID != "" {
		tenant = *az.TenantID
	}
	if tenant == "" {
		return nil, fmt.Errorf("%s.tenantId: required, or the ServiceAccount's %s annotation", field, TenantIDAnnotation)
	}
	audiences := az.ServiceAccountRef.Audiences
	if len(audiences) == 0 {
		audiences = []string{workloadIdentityAudience}
	}
	assertion := func(ctx context.Context) (string, error) {
		token, _, err := provider.ServiceAccountToken(ctx, kube, sa, audiences, 600)
		if err != nil {
			return "", fmt.Errorf("%s: %w", saField, err)
		}
		return token, nil
	}
	cred, err := azidentity.NewClientAssertionCredential(tenant, clientID, assertion,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: p.authorityHost != ""})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", saField, err)
	}
	return cred, nil
}

// The variables Azure Workload Identity's webhook sets in a pod whose ServiceAccount uses it.
const (
	envClientID  = "AZURE_CLIENT_ID"
	envTenantID  = "AZURE_TENANT_ID"
	envTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
)

// mountedWorkloadIdentity is WorkloadIdentity without a serviceAccountRef, as ESO serves it:
// Ferry's own identity, from the token the Azure Workload Identity webhook mounts into its
// pod (read anew for each exchange: the kubelet rotates it). Like ManagedIdentity, every
// store written so shares that one identity.
func mountedWorkloadIdentity(az *esv1.AzureKVProvider, co azcore.ClientOptions, disableDiscovery bool) (azcore.TokenCredential, error) {
	const how = "serviceAccountRef is not set, so Ferry uses its own workload identity, but its pod has no %s " +
		"(label Ferry's ServiceAccount azure.workload.identity/use=true, or name a ServiceAccount in " + field + ".serviceAccountRef)"
	tokenFile, clientID := os.Getenv(envTokenFile), os.Getenv(envClientID)
	tenant := os.Getenv(envTenantID)
	if az.TenantID != nil && *az.TenantID != "" {
		tenant = *az.TenantID
	}
	for _, v := range [][2]string{{envTokenFile, tokenFile}, {envClientID, clientID}, {envTenantID, tenant}} {
		if v[1] == "" {
			return nil, fmt.Errorf(field+": "+how, v[0])
		}
	}
	assertion := func(context.Context) (string, error) {
		b, err := os.ReadFile(tokenFile) //nolint:gosec // the path the Azure webhook mounts, not user input
		if err != nil {
			return "", fmt.Errorf("%s: reading Ferry's workload identity token: %w", field, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	cred, err := azidentity.NewClientAssertionCredential(tenant, clientID, assertion,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: disableDiscovery})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return cred, nil
}
