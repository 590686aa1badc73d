package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ECRAuthorizationTokenSpec says how to obtain an Amazon ECR authorization token.
type ECRAuthorizationTokenSpec struct {
	// Region of the registry.
	Region string `json:"region"`

	// Auth names the credentials, as in an AWS SecretStore; unset uses the SDK's default
	// credential chain of the Ferry process.
	// +optional
	Auth esv1.AWSAuth `json:"auth,omitempty"`

	// Role is the ARN of a role to assume with those credentials first.
	// +optional
	Role string `json:"role,omitempty"`

	// Scope is "private" (the default: GetAuthorizationToken of ECR) or "public" (ECR Public).
	// +optional
	Scope string `json:"scope,omitempty"`
}

// ECRAuthorizationToken generates a registry login (username, password, proxy_endpoint,
// expires_at) with ECR's GetAuthorizationToken; the token is valid for 12 hours.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type ECRAuthorizationToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ECRAuthorizationTokenSpec `json:"spec,omitempty"`
}

// ECRAuthorizationTokenList is a list of ECRAuthorizationToken generators.
// +kubebuilder:object:root=true
type ECRAuthorizationTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ECRAuthorizationToken `json:"items"`
}
