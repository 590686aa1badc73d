package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ClusterPushSecretKind fans one PushSecret out to many namespaces.
const ClusterPushSecretKind = "ClusterPushSecret"

// ClusterPushSecretSpec says which PushSecret to create in which namespaces.
type ClusterPushSecretSpec struct {
	// PushSecretSpec is the spec of every PushSecret created.
	PushSecretSpec PushSecretSpec `json:"pushSecretSpec"`

	// RefreshInterval is how often the selected namespaces are looked at again.
	// +optional
	RefreshInterval *esv1.Duration `json:"refreshTime,omitempty"`

	// PushSecretName is the name of the PushSecrets; unset means this object's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	PushSecretName string `json:"pushSecretName,omitempty"`

	// PushSecretMetadata is put on every PushSecret created.
	// +optional
	PushSecretMetadata *esv1.ExternalSecretMetadata `json:"pushSecretMetadata,omitempty"`

	// NamespaceSelectors select namespaces by label; a namespace matching any one is selected.
	// +optional
	NamespaceSelectors []*metav1.LabelSelector `json:"namespaceSelectors,omitempty"`
}

// ClusterPushSecretStatus is what the fan-out observed.
type ClusterPushSecretStatus struct {
	// PushSecretName is the name of the PushSecrets created.
	// +optional
	PushSecretName string `json:"pushSecretName,omitempty"`
	// FailedNamespaces lists the namespaces where the PushSecret could not be created.
	// +optional
	FailedNamespaces []esv1.ClusterExternalSecretNamespaceFailure `json:"failedNamespaces,omitempty"`
	// ProvisionedNamespaces lists the namespaces that have the PushSecret.
	// +optional
	ProvisionedNamespaces []string `json:"provisionedNamespaces,omitempty"`
	// +optional
	Conditions []PushSecretStatusCondition `json:"conditions,omitempty"`
}

// ClusterPushSecret creates the same PushSecret in every selected namespace, owned by it,
// and removes it from namespaces that stop matching.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
type ClusterPushSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterPushSecretSpec   `json:"spec,omitempty"`
	Status ClusterPushSecretStatus `json:"status,omitempty"`
}

// ClusterPushSecretList is a list of ClusterPushSecrets.
// +kubebuilder:object:root=true
type ClusterPushSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterPushSecret `json:"items"`
}
