package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GeneratorStateLabelOwnerKey labels the GeneratorStates of one dataFrom entry of one
// ExternalSecret, so that those a newer generation replaced can be found.
const GeneratorStateLabelOwnerKey = "generators.external-secrets.io/owner-key"

// GeneratorStateSpec records what a generator created and the state needed to clean it up.
// An ExternalSecret's sync writes one per stateful generation (Grafana tokens); once
// garbageCollectionDeadline passes, or its ExternalSecret is gone, the object is deleted
// and what it records is cleaned up at the service first.
type GeneratorStateSpec struct {
	// GarbageCollectionDeadline is when the generated resource may be cleaned up.
	// +optional
	GarbageCollectionDeadline *metav1.Time `json:"garbageCollectionDeadline,omitempty"`

	// Resource is the generator object that produced the state, as it was.
	// +kubebuilder:pruning:PreserveUnknownFields
	Resource *apiextensionsv1.JSON `json:"resource"`

	// State is the generator's own record of what it created.
	// +kubebuilder:pruning:PreserveUnknownFields
	State *apiextensionsv1.JSON `json:"state"`
}

// GeneratorStateCondition is one condition of a GeneratorState.
type GeneratorStateCondition struct {
	Type   string                 `json:"type"`
	Status metav1.ConditionStatus `json:"status"`
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
}

// GeneratorStateStatus is what the writer of the GeneratorState observed.
type GeneratorStateStatus struct {
	// +optional
	Conditions []GeneratorStateCondition `json:"conditions,omitempty"`
}

// GeneratorState is External Secrets Operator's record of a generated resource that may
// need cleaning up later.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Namespaced,shortName=gs,categories={external-secrets,external-secrets-generators}
// +kubebuilder:printcolumn:name="GC Deadline",type=string,JSONPath=`.spec.garbageCollectionDeadline`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GeneratorState struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GeneratorStateSpec   `json:"spec,omitempty"`
	Status GeneratorStateStatus `json:"status,omitempty"`
}

// GeneratorStateList is a list of GeneratorStates.
// +kubebuilder:object:root=true
type GeneratorStateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GeneratorState `json:"items"`
}
