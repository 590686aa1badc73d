package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// MFASpec describes the time-based one-time password (TOTP) to generate.
type MFASpec struct {
	// Secret names the Secret key of the shared TOTP seed.
	Secret esv1.SecretKeySelector `json:"secret"`

	// Length of the code, in digits; unset means 6.
	// +optional
	Length int `json:"length,omitempty"`

	// TimePeriod is how long one code is valid, in seconds; unset means 30.
	// +optional
	TimePeriod int `json:"timePeriod,omitempty"`

	// Algorithm of the HMAC, e.g. sha1 (the default), sha256 or sha512.
	// +optional
	Algorithm string `json:"algorithm,omitempty"`

	// When is the instant the code is for; unset means now.
	// +optional
	When *metav1.Time `json:"when,omitempty"`
}

// MFA generates a time-based one-time password (RFC 6238): keys token and timeLeft.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type MFA struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec MFASpec `json:"spec,omitempty"`
}

// MFAList is a list of MFA generators.
// +kubebuilder:object:root=true
type MFAList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MFA `json:"items"`
}
