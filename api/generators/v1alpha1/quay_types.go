package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// QuayAccessTokenSpec says which Quay robot account to obtain a token for, by exchanging
// a Kubernetes ServiceAccount token (OIDC federation).
type QuayAccessTokenSpec struct {
	// URL of the Quay instance; unset means quay.io.
	// +optional
	URL string `json:"url,omitempty"`

	// RobotAccount is the robot account, as organisation+name.
	RobotAccount string `json:"robotAccount"`

	// ServiceAccountRef is the Kubernetes ServiceAccount whose token is exchanged.
	ServiceAccountRef esv1.ServiceAccountSelector `json:"serviceAccountRef"`
}

// QuayAccessToken generates a short-lived Quay robot account token by robot federation:
// keys registry, auth (base64 of "robot:token") and expiry (Unix seconds).
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type QuayAccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec QuayAccessTokenSpec `json:"spec,omitempty"`
}

// QuayAccessTokenList is a list of QuayAccessToken generators.
// +kubebuilder:object:root=true
type QuayAccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []QuayAccessToken `json:"items"`
}
