package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// FakeSpec holds the static values a Fake generator returns.
type FakeSpec struct {
	// Controller names the Ferry instance (its --controller-class) that uses this generator;
	// Ferry accepts it for compatibility and does not act on it.
	// +optional
	Controller string `json:"controller,omitempty"`

	// Data is returned as it is, key by key.
	// +optional
	Data map[string]string `json:"data,omitempty"`
}

// Fake returns static values; it is meant for tests and demonstrations.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type Fake struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec FakeSpec `json:"spec,omitempty"`
}

// FakeList is a list of Fake generators.
// +kubebuilder:object:root=true
type FakeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Fake `json:"items"`
}
