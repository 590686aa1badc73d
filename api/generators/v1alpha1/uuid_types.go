package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// UUIDSpec has no settings: a UUID generator always produces one random (version 4) UUID.
type UUIDSpec struct{}

// UUID generates a random UUID under the key "uuid".
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type UUID struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec UUIDSpec `json:"spec,omitempty"`
}

// UUIDList is a list of UUID generators.
// +kubebuilder:object:root=true
type UUIDList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []UUID `json:"items"`
}
