package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// SecretStoreRef names the store an ExternalSecret reads from.
type SecretStoreRef struct {
	// Name of the SecretStore or ClusterSecretStore.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`

	// Kind of the store: SecretStore (default) or ClusterSecretStore.
	// +kubebuilder:validation:Enum=SecretStore;ClusterSecretStore
	// +optional
	Kind string `json:"kind,omitempty"`
}

// ExternalSecretCreationPolicy says how the target Secret comes to exist.
// +kubebuilder:validation:Enum=Owner;Merge;None
type ExternalSecretCreationPolicy string

// Creation policies.
const (
	CreatePolicyOwner ExternalSecretCreationPolicy = "Owner"
	CreatePolicyMerge ExternalSecretCreationPolicy = "Merge"
	CreatePolicyNone  ExternalSecretCreationPolicy = "None"
)

// ExternalSecretTarget describes the Secret that is written. v1alpha1 has no deletion policy:
// the Secret is retained when the remote data is gone.
type ExternalSecretTarget struct {
	// Name of the Secret; defaults to the ExternalSecret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`

	// CreationPolicy: Owner (default), Merge or None.
	// +kubebuilder:default="Owner"
	// +optional
	CreationPolicy ExternalSecretCreationPolicy `json:"creationPolicy,omitempty"`

	// Template shapes the Secret from the fetched values.
	// +optional
	Template *ExternalSecretTemplate `json:"template,omitempty"`

	// Immutable makes the written Secret immutable.
	// +optional
	Immutable bool `json:"immutable,omitempty"`
}

// ExternalSecretTemplateMetadata is the metadata a template puts on the Secret.
type ExternalSecretTemplateMetadata struct {
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// TemplateEngineVersion selects a template engine.
// +kubebuilder:validation:Enum=v1;v2
type TemplateEngineVersion string

// Template engines. v1, the default of this version, is not served by v1 of the API.
const (
	TemplateEngineV1 TemplateEngineVersion = "v1"
	TemplateEngineV2 TemplateEngineVersion = "v2"
)

// ExternalSecretTemplate shapes the target Secret. Its templated keys replace the fetched ones.
type ExternalSecretTemplate struct {
	// Type of the Secret.
	// +optional
	Type corev1.SecretType `json:"type,omitempty"`

	// EngineVersion of the template engine.
	// +kubebuilder:default="v1"
	// +optional
	EngineVersion TemplateEngineVersion `json:"engineVersion,omitempty"`

	// Metadata put on the Secret.
	// +optional
	Metadata ExternalSecretTemplateMetadata `json:"metadata,omitempty"`

	// Data maps Secret keys to templates.
	// +optional
	Data map[string]string `json:"data,omitempty"`

	// TemplateFrom reads templates from ConfigMaps or Secrets.
	// +optional
	TemplateFrom []TemplateFrom `json:"templateFrom,omitempty"`
}

// TemplateFrom is one source of templates: a ConfigMap or a Secret. Each key is a template of
// the Secret key of the same name.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type TemplateFrom struct {
	// +optional
	ConfigMap *TemplateRef `json:"configMap,omitempty"`
	// +optional
	Secret *TemplateRef `json:"secret,omitempty"`
}

// TemplateRef names a ConfigMap or Secret that holds templates.
type TemplateRef struct {
	// Name of the ConfigMap or Secret, in the ExternalSecret's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`
	// Items are the keys to use as templates.
	Items []TemplateRefItem `json:"items"`
}

// TemplateRefItem is one key of a TemplateRef.
type TemplateRefItem struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[-._a-zA-Z0-9]+$
	Key string `json:"key"`
}

// ExternalSecretConversionStrategy says how keys with special characters are converted.
// +kubebuilder:validation:Enum=Default;Unicode
type ExternalSecretConversionStrategy string

// Conversion strategies.
const (
	ConversionDefault ExternalSecretConversionStrategy = "Default"
	ConversionUnicode ExternalSecretConversionStrategy = "Unicode"
)

// ExternalSecretDataRemoteRef names one remote value.
type ExternalSecretDataRemoteRef struct {
	// Key of the remote secret (a name, path or ARN, per provider).
	Key string `json:"key"`

	// Property is a path into a JSON value.
	// +optional
	Property string `json:"property,omitempty"`

	// Version of the remote value; provider-specific.
	// +optional
	Version string `json:"version,omitempty"`

	// ConversionStrategy for keys.
	// +kubebuilder:default="Default"
	// +optional
	ConversionStrategy ExternalSecretConversionStrategy `json:"conversionStrategy,omitempty"`
}

// ExternalSecretData maps one remote value to one Secret key.
type ExternalSecretData struct {
	// SecretKey is the key in the target Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[-._a-zA-Z0-9]+$
	SecretKey string `json:"secretKey"`

	// RemoteRef names the remote value.
	RemoteRef ExternalSecretDataRemoteRef `json:"remoteRef"`
}

// ExternalSecretSpec is what an ExternalSecret asks for.
type ExternalSecretSpec struct {
	// SecretStoreRef names the store of every entry.
	SecretStoreRef SecretStoreRef `json:"secretStoreRef"`

	// Target describes the Secret to write.
	Target ExternalSecretTarget `json:"target"`

	// RefreshInterval between syncs, as a Go duration; 0 syncs once.
	// +kubebuilder:default="1h"
	// +optional
	RefreshInterval *esv1.Duration `json:"refreshInterval,omitempty"`

	// Data maps single remote values to Secret keys.
	// +optional
	Data []ExternalSecretData `json:"data,omitempty"`

	// DataFrom spreads the keys of remote JSON values into the Secret; each entry is what
	// v1 calls dataFrom[].extract.
	// +optional
	DataFrom []ExternalSecretDataRemoteRef `json:"dataFrom,omitempty"`
}

// ExternalSecretConditionType is the type of an ExternalSecret condition.
type ExternalSecretConditionType string

// Condition types of an ExternalSecret.
const (
	ExternalSecretReady   ExternalSecretConditionType = "Ready"
	ExternalSecretDeleted ExternalSecretConditionType = "Deleted"
)

// ExternalSecretStatusCondition is one condition of an ExternalSecret.
type ExternalSecretStatusCondition struct {
	Type   ExternalSecretConditionType `json:"type"`
	Status corev1.ConditionStatus      `json:"status"`
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
}

// ExternalSecretStatus is what was observed of an ExternalSecret.
type ExternalSecretStatus struct {
	// RefreshTime is when the target Secret was last synced.
	// +nullable
	// +optional
	RefreshTime metav1.Time `json:"refreshTime,omitempty"`

	// SyncedResourceVersion identifies the spec and metadata of the last sync.
	// +optional
	SyncedResourceVersion string `json:"syncedResourceVersion,omitempty"`

	// +optional
	Conditions []ExternalSecretStatusCondition `json:"conditions,omitempty"`

	// Binding names the Secret this ExternalSecret writes.
	// +optional
	Binding corev1.LocalObjectReference `json:"binding,omitempty"`
}

// ExternalSecret keeps a Kubernetes Secret in sync with values held by an external store,
// in the v1alpha1 shape.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=es,categories=external-secrets
// +kubebuilder:printcolumn:name="Store",type=string,JSONPath=`.spec.secretStoreRef.kind`
// +kubebuilder:printcolumn:name="Store",type=string,JSONPath=`.spec.secretStoreRef.name`
// +kubebuilder:printcolumn:name="Refresh Interval",type=string,JSONPath=`.spec.refreshInterval`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ExternalSecretSpec   `json:"spec,omitempty"`
	Status ExternalSecretStatus `json:"status,omitempty"`
}

// ExternalSecretList is a list of ExternalSecrets.
// +kubebuilder:object:root=true
type ExternalSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ExternalSecret `json:"items"`
}
