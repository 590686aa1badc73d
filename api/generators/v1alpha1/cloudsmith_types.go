package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// CloudsmithAccessTokenSpec says how to exchange a Kubernetes ServiceAccount token (OIDC)
// for a Cloudsmith access token.
type CloudsmithAccessTokenSpec struct {
	// APIURL of Cloudsmith; unset means the public service.
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// OrgSlug is the organisation.
	OrgSlug string `json:"orgSlug"`

	// ServiceSlug is the Cloudsmith service account to obtain a token for.
	ServiceSlug string `json:"serviceSlug"`

	// ServiceAccountRef is the Kubernetes ServiceAccount whose token is exchanged.
	ServiceAccountRef esv1.ServiceAccountSelector `json:"serviceAccountRef"`
}

// CloudsmithAccessToken generates a short-lived Cloudsmith access token by OIDC exchange:
// keys auth (base64 of "token:TOKEN") and expiry (Unix seconds).
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type CloudsmithAccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CloudsmithAccessTokenSpec `json:"spec,omitempty"`
}

// CloudsmithAccessTokenList is a list of CloudsmithAccessToken generators.
// +kubebuilder:object:root=true
type CloudsmithAccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CloudsmithAccessToken `json:"items"`
}
