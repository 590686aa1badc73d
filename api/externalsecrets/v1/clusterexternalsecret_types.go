package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterExternalSecretKind is the kind that fans one ExternalSecret out to many namespaces.
const ClusterExternalSecretKind = "ClusterExternalSecret"

// ExternalSecretMetadata is the metadata put on each ExternalSecret a ClusterExternalSecret creates.
type ExternalSecretMetadata struct {
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// ClusterExternalSecretSpec says which ExternalSecret to create in which namespaces.
type ClusterExternalSecretSpec struct {
	// ExternalSecretSpec is the spec of every ExternalSecret created.
	ExternalSecretSpec ExternalSecretSpec `json:"externalSecretSpec"`

	// ExternalSecretName is the name of the ExternalSecrets; defaults to this object's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	ExternalSecretName string `json:"externalSecretName,omitempty"`

	// ExternalSecretMetadata is put on every ExternalSecret created.
	// +optional
	ExternalSecretMetadata *ExternalSecretMetadata `json:"externalSecretMetadata,omitempty"`

	// NamespaceSelector selects namespaces by label. Deprecated in ESO in favour of
	// NamespaceSelectors; both are honoured.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// NamespaceSelectors select namespaces by label; a namespace matching any one is selected.
	// +optional
	NamespaceSelectors []*metav1.LabelSelector `json:"namespaceSelectors,omitempty"`

	// Namespaces are selected by name.
	// +optional
	Namespaces []NamespaceName `json:"namespaces,omitempty"`

	// RefreshInterval is how often the selected namespaces are looked at again (default 1m).
	// +optional
	RefreshInterval *Duration `json:"refreshTime,omitempty"`
}

// ClusterExternalSecretNamespaceFailure says why an ExternalSecret could not be created in a namespace.
type ClusterExternalSecretNamespaceFailure struct {
	// Namespace that failed.
	Namespace string `json:"namespace"`
	// Reason it failed.
	// +optional
	Reason string `json:"reason,omitempty"`
}

// ClusterExternalSecretConditionType is the type of a ClusterExternalSecret condition.
type ClusterExternalSecretConditionType string

// ClusterExternalSecretReady is True when every selected namespace has its ExternalSecret.
const ClusterExternalSecretReady ClusterExternalSecretConditionType = "Ready"

// ClusterExternalSecretStatusCondition is one condition of a ClusterExternalSecret.
type ClusterExternalSecretStatusCondition struct {
	Type   ClusterExternalSecretConditionType `json:"type"`
	Status metav1.ConditionStatus             `json:"status"`
	// +optional
	Message string `json:"message,omitempty"`
}

// ClusterExternalSecretStatus is what Ferry observed.
type ClusterExternalSecretStatus struct {
	// ExternalSecretName is the name of the ExternalSecrets created.
	// +optional
	ExternalSecretName string `json:"externalSecretName,omitempty"`
	// FailedNamespaces lists the namespaces where the ExternalSecret could not be created.
	// +optional
	FailedNamespaces []ClusterExternalSecretNamespaceFailure `json:"failedNamespaces,omitempty"`
	// ProvisionedNamespaces lists the namespaces that have the ExternalSecret.
	// +optional
	ProvisionedNamespaces []string `json:"provisionedNamespaces,omitempty"`
	// +optional
	Conditions []ClusterExternalSecretStatusCondition `json:"conditions,omitempty"`
}

// ClusterExternalSecret creates the same ExternalSecret in every selected namespace.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ces,categories=external-secrets
// +kubebuilder:printcolumn:name="Store",type=string,JSONPath=`.spec.externalSecretSpec.secretStoreRef.name`
// +kubebuilder:printcolumn:name="Refresh Interval",type=string,JSONPath=`.spec.refreshTime`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
type ClusterExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterExternalSecretSpec   `json:"spec,omitempty"`
	Status ClusterExternalSecretStatus `json:"status,omitempty"`
}

// ClusterExternalSecretList is a list of ClusterExternalSecrets.
// +kubebuilder:object:root=true
type ClusterExternalSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterExternalSecret `json:"items"`
}
