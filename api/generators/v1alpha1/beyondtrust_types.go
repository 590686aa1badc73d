package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// BeyondtrustWorkloadCredentialsDynamicSecretSpec says which BeyondTrust Workload
// Credentials server to ask for dynamic credentials, and how.
type BeyondtrustWorkloadCredentialsDynamicSecretSpec struct {
	// Controller names the Ferry instance (its --controller-class) that uses this generator;
	// Ferry accepts it for compatibility and does not act on it.
	// +optional
	Controller string `json:"controller,omitempty"`

	// RetrySettings of the calls.
	// +optional
	RetrySettings *esv1.SecretStoreRetrySettings `json:"retrySettings,omitempty"`

	// Provider is the server, its authentication and the folder of the credentials.
	Provider BeyondtrustWorkloadCredentialsProvider `json:"provider"`
}

// BeyondtrustWorkloadCredentialsProvider is a BeyondTrust Workload Credentials server.
type BeyondtrustWorkloadCredentialsProvider struct {
	// Server is where the API is served.
	Server BeyondtrustWorkloadCredentialsServer `json:"server"`

	// Auth is how Ferry authenticates to the server.
	Auth BeyondtrustWorkloadCredentialsAuth `json:"auth"`

	// FolderPath is the folder that holds the dynamic secret definition.
	// +optional
	FolderPath string `json:"folderPath,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *esv1.CAProvider `json:"caProvider,omitempty"`
}

// BeyondtrustWorkloadCredentialsServer locates the API.
type BeyondtrustWorkloadCredentialsServer struct {
	// APIURL is the base URL of the API.
	APIURL string `json:"apiUrl"`
	// SiteID identifies the site.
	SiteID string `json:"siteId"`
}

// BeyondtrustWorkloadCredentialsAuth holds the API key.
type BeyondtrustWorkloadCredentialsAuth struct {
	APIKey BeyondtrustWorkloadCredentialsAPIKey `json:"apikey"`
}

// BeyondtrustWorkloadCredentialsAPIKey names the Secret key of the API token.
type BeyondtrustWorkloadCredentialsAPIKey struct {
	Token esv1.SecretKeySelector `json:"token"`
}

// BeyondtrustWorkloadCredentialsDynamicSecret generates credentials from a BeyondTrust
// Workload Credentials dynamic secret.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type BeyondtrustWorkloadCredentialsDynamicSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BeyondtrustWorkloadCredentialsDynamicSecretSpec `json:"spec,omitempty"`
}

// BeyondtrustWorkloadCredentialsDynamicSecretList is a list of
// BeyondtrustWorkloadCredentialsDynamicSecret generators.
// +kubebuilder:object:root=true
type BeyondtrustWorkloadCredentialsDynamicSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BeyondtrustWorkloadCredentialsDynamicSecret `json:"items"`
}
