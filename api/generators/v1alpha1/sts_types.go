package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// STSSessionTokenSpec says how to obtain temporary credentials with STS GetSessionToken.
type STSSessionTokenSpec struct {
	// Region of the STS endpoint.
	Region string `json:"region"`

	// Auth names the credentials, as in an AWS SecretStore. AWS grants GetSessionToken only
	// to long-term credentials, so auth.secretRef is the method that works against AWS.
	// +optional
	Auth esv1.AWSAuth `json:"auth,omitempty"`

	// Role is the ARN of a role to assume with those credentials first.
	// +optional
	Role string `json:"role,omitempty"`

	// RequestParameters are passed to GetSessionToken.
	// +optional
	RequestParameters *STSSessionTokenRequestParameters `json:"requestParameters,omitempty"`
}

// STSSessionTokenRequestParameters are the optional inputs of GetSessionToken.
type STSSessionTokenRequestParameters struct {
	// SessionDuration is the lifetime of the credentials, in seconds.
	// +optional
	SessionDuration *int32 `json:"sessionDuration,omitempty"`
	// SerialNumber identifies the MFA device of the user.
	// +optional
	SerialNumber *string `json:"serialNumber,omitempty"`
	// TokenCode is the code the MFA device shows.
	// +optional
	TokenCode *string `json:"tokenCode,omitempty"`
}

// STSSessionToken generates temporary AWS credentials (access_key_id, secret_access_key,
// session_token, expiration) with STS GetSessionToken.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type STSSessionToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec STSSessionTokenSpec `json:"spec,omitempty"`
}

// STSSessionTokenList is a list of STSSessionToken generators.
// +kubebuilder:object:root=true
type STSSessionTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []STSSessionToken `json:"items"`
}
