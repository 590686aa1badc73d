package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ACRAccessTokenSpec says how to obtain a token for an Azure Container Registry.
type ACRAccessTokenSpec struct {
	// Auth is how Ferry authenticates to Azure.
	Auth ACRAuth `json:"auth"`

	// TenantID of the Azure tenant; needed with a service principal or workload identity.
	// +optional
	TenantID string `json:"tenantId,omitempty"`

	// Registry is the registry's host name, e.g. example.azurecr.io.
	Registry string `json:"registry"`

	// Scope of the token (e.g. repository:app:pull); unset asks for a refresh token.
	// +optional
	Scope string `json:"scope,omitempty"`

	// EnvironmentType is the Azure cloud of the registry.
	// +kubebuilder:default=PublicCloud
	// +optional
	EnvironmentType esv1.AzureEnvironmentType `json:"environmentType,omitempty"`
}

// ACRAuth holds one way to authenticate to Azure.
type ACRAuth struct {
	// ServicePrincipal authenticates with a client id and secret.
	// +optional
	ServicePrincipal *AzureACRServicePrincipalAuth `json:"servicePrincipal,omitempty"`

	// ManagedIdentity authenticates as the managed identity of the node or pod.
	// +optional
	ManagedIdentity *AzureACRManagedIdentityAuth `json:"managedIdentity,omitempty"`

	// WorkloadIdentity exchanges a Kubernetes ServiceAccount token.
	// +optional
	WorkloadIdentity *AzureACRWorkloadIdentityAuth `json:"workloadIdentity,omitempty"`
}

// AzureACRServicePrincipalAuth names the Secret keys of a service principal.
type AzureACRServicePrincipalAuth struct {
	SecretRef AzureACRServicePrincipalAuthSecretRef `json:"secretRef"`
}

// AzureACRServicePrincipalAuthSecretRef names the Secret keys of a client id and secret.
type AzureACRServicePrincipalAuthSecretRef struct {
	// ClientID of the application.
	// +optional
	ClientID esv1.SecretKeySelector `json:"clientId,omitempty"`
	// ClientSecret of the application.
	// +optional
	ClientSecret esv1.SecretKeySelector `json:"clientSecret,omitempty"`
}

// AzureACRManagedIdentityAuth selects a managed identity.
type AzureACRManagedIdentityAuth struct {
	// IdentityID picks one of several user-assigned identities.
	// +optional
	IdentityID string `json:"identityId,omitempty"`
}

// AzureACRWorkloadIdentityAuth names the ServiceAccount whose token is exchanged.
type AzureACRWorkloadIdentityAuth struct {
	// ServiceAccountRef is that ServiceAccount; its azure.workload.identity annotations
	// name the client.
	// +optional
	ServiceAccountRef *esv1.ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}

// ACRAccessToken generates a login for an Azure Container Registry: keys username (the
// null GUID) and password (an ACR refresh token, or an access token of scope).
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type ACRAccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ACRAccessTokenSpec `json:"spec,omitempty"`
}

// ACRAccessTokenList is a list of ACRAccessToken generators.
// +kubebuilder:object:root=true
type ACRAccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ACRAccessToken `json:"items"`
}
