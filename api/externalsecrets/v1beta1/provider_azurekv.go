package v1beta1

// AzureKVProvider configures Azure Key Vault.
type AzureKVProvider struct {
	// AuthType says how to authenticate: ServicePrincipal (client secret or certificate
	// from authSecretRef), ManagedIdentity (the node's or pod's identity) or
	// WorkloadIdentity (a Kubernetes ServiceAccount token exchanged with Entra ID).
	// +kubebuilder:default=ServicePrincipal
	// +optional
	AuthType *AzureAuthType `json:"authType,omitempty"`

	// VaultURL is the vault's address, e.g. "https://my-vault.vault.azure.net".
	VaultURL *string `json:"vaultUrl"`

	// TenantID is the Entra ID tenant, for ServicePrincipal and WorkloadIdentity.
	// +optional
	TenantID *string `json:"tenantId,omitempty"`

	// EnvironmentType is the Azure cloud; it decides the login endpoint.
	// +kubebuilder:default=PublicCloud
	// +optional
	EnvironmentType AzureEnvironmentType `json:"environmentType,omitempty"`

	// AuthSecretRef holds the ServicePrincipal's client id and its secret or certificate.
	// +optional
	AuthSecretRef *AzureKVAuth `json:"authSecretRef,omitempty"`

	// ServiceAccountRef is the ServiceAccount whose token WorkloadIdentity exchanges; its
	// azure.workload.identity/client-id annotation names the application.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// IdentityID selects a user-assigned managed identity (client id or resource id).
	// +optional
	IdentityID *string `json:"identityId,omitempty"`
}

// AzureAuthType is how the Azure Key Vault provider authenticates.
// +kubebuilder:validation:Enum=ServicePrincipal;ManagedIdentity;WorkloadIdentity
type AzureAuthType string

// Azure authentication types.
const (
	AzureServicePrincipal AzureAuthType = "ServicePrincipal"
	AzureManagedIdentity  AzureAuthType = "ManagedIdentity"
	AzureWorkloadIdentity AzureAuthType = "WorkloadIdentity"
)

// AzureEnvironmentType is the Azure cloud a vault lives in.
// +kubebuilder:validation:Enum=PublicCloud;USGovernmentCloud;ChinaCloud;GermanCloud
type AzureEnvironmentType string

// Azure clouds.
const (
	AzureEnvironmentPublicCloud       AzureEnvironmentType = "PublicCloud"
	AzureEnvironmentUSGovernmentCloud AzureEnvironmentType = "USGovernmentCloud"
	AzureEnvironmentChinaCloud        AzureEnvironmentType = "ChinaCloud"
	AzureEnvironmentGermanCloud       AzureEnvironmentType = "GermanCloud"
)

// AzureKVAuth holds the Secret keys of a ServicePrincipal.
type AzureKVAuth struct {
	// ClientID of the application.
	// +optional
	ClientID *SecretKeySelector `json:"clientId,omitempty"`

	// TenantID, when not set in the provider's tenantId.
	// +optional
	TenantID *SecretKeySelector `json:"tenantId,omitempty"`

	// ClientSecret of the application; set this or clientCertificate.
	// +optional
	ClientSecret *SecretKeySelector `json:"clientSecret,omitempty"`

	// ClientCertificate of the application: a PEM certificate and its private key.
	// +optional
	ClientCertificate *SecretKeySelector `json:"clientCertificate,omitempty"`
}
