package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// PushSecretKind pushes Kubernetes Secrets to external stores.
const PushSecretKind = "PushSecret"

// PushSecretStoreRef names the stores to push to, by name or by labels.
type PushSecretStoreRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`
	// LabelSelector selects stores by labels instead of a name.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
	// +kubebuilder:validation:Enum=SecretStore;ClusterSecretStore
	// +kubebuilder:default="SecretStore"
	// +optional
	Kind string `json:"kind,omitempty"`
}

// PushSecretUpdatePolicy says whether existing remote values are overwritten.
// +kubebuilder:validation:Enum=Replace;IfNotExists
type PushSecretUpdatePolicy string

// Update policies.
const (
	PushSecretUpdatePolicyReplace     PushSecretUpdatePolicy = "Replace"
	PushSecretUpdatePolicyIfNotExists PushSecretUpdatePolicy = "IfNotExists"
)

// PushSecretDeletionPolicy says whether pushed values are deleted when no longer pushed.
// +kubebuilder:validation:Enum=Delete;None
type PushSecretDeletionPolicy string

// Deletion policies.
const (
	PushSecretDeletionPolicyDelete PushSecretDeletionPolicy = "Delete"
	PushSecretDeletionPolicyNone   PushSecretDeletionPolicy = "None"
)

// PushSecretConversionStrategy converts key names before pushing.
// +kubebuilder:validation:Enum=None;ReverseUnicode
type PushSecretConversionStrategy string

// Conversion strategies.
const (
	PushSecretConversionNone           PushSecretConversionStrategy = "None"
	PushSecretConversionReverseUnicode PushSecretConversionStrategy = "ReverseUnicode"
)

// PushSecretSecret selects the Kubernetes Secret(s) to push.
type PushSecretSecret struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// PushSecretSelector is where the pushed data comes from: a Secret or a generator.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type PushSecretSelector struct {
	// +optional
	Secret *PushSecretSecret `json:"secret,omitempty"`
	// +optional
	GeneratorRef *esv1.GeneratorRef `json:"generatorRef,omitempty"`
}

// PushSecretRemoteRef names the remote key (and property) to write.
type PushSecretRemoteRef struct {
	RemoteKey string `json:"remoteKey"`
	// +optional
	Property string `json:"property,omitempty"`
}

// PushSecretMatch maps one Secret key to a remote location.
type PushSecretMatch struct {
	// SecretKey is the key of the Secret to push; empty pushes the whole Secret as JSON.
	// +optional
	SecretKey string              `json:"secretKey,omitempty"`
	RemoteRef PushSecretRemoteRef `json:"remoteRef"`
}

// PushSecretData is one value to push.
type PushSecretData struct {
	Match PushSecretMatch `json:"match"`
	// Metadata is provider-specific.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Metadata *apiextensionsv1.JSON `json:"metadata,omitempty"`
	// +kubebuilder:default="None"
	// +optional
	ConversionStrategy PushSecretConversionStrategy `json:"conversionStrategy,omitempty"`
}

// PushSecretDataTo pushes many keys at once, selected by a regexp.
// +kubebuilder:validation:XValidation:rule="has(self.storeRef) && (has(self.storeRef.name) || has(self.storeRef.labelSelector))"
// +kubebuilder:validation:XValidation:rule="!has(self.remoteKey) || !has(self.rewrite) || size(self.rewrite) == 0"
type PushSecretDataTo struct {
	// +optional
	StoreRef *PushSecretStoreRef `json:"storeRef,omitempty"`
	// +optional
	RemoteKey string `json:"remoteKey,omitempty"`
	// +optional
	Match *PushSecretDataToMatch `json:"match,omitempty"`
	// +optional
	Rewrite []PushSecretRewrite `json:"rewrite,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Metadata *apiextensionsv1.JSON `json:"metadata,omitempty"`
	// +kubebuilder:default="None"
	// +optional
	ConversionStrategy PushSecretConversionStrategy `json:"conversionStrategy,omitempty"`
}

// PushSecretDataToMatch selects keys by regexp.
type PushSecretDataToMatch struct {
	// +optional
	RegExp string `json:"regexp,omitempty"`
}

// PushSecretRewrite renames keys before pushing.
// +kubebuilder:validation:XValidation:rule="(has(self.regexp) && !has(self.transform)) || (!has(self.regexp) && has(self.transform))"
type PushSecretRewrite struct {
	// +optional
	Regexp *esv1.ExternalSecretRewriteRegexp `json:"regexp,omitempty"`
	// +optional
	Transform *esv1.ExternalSecretRewriteTransform `json:"transform,omitempty"`
}

// PushSecretSpec says what to push where.
type PushSecretSpec struct {
	// RefreshInterval between pushes.
	// +kubebuilder:default="1h0m0s"
	// +optional
	RefreshInterval *esv1.Duration `json:"refreshInterval,omitempty"`
	// SecretStoreRefs are the stores to push to.
	SecretStoreRefs []PushSecretStoreRef `json:"secretStoreRefs"`
	// +kubebuilder:default="Replace"
	// +optional
	UpdatePolicy PushSecretUpdatePolicy `json:"updatePolicy,omitempty"`
	// +kubebuilder:default="None"
	// +optional
	DeletionPolicy PushSecretDeletionPolicy `json:"deletionPolicy,omitempty"`
	// Selector is where the data comes from.
	Selector PushSecretSelector `json:"selector"`
	// Data maps Secret keys to remote keys.
	// +optional
	Data []PushSecretData `json:"data,omitempty"`
	// DataTo pushes many keys at once.
	// +optional
	DataTo []PushSecretDataTo `json:"dataTo,omitempty"`
	// Template shapes the data before it is pushed.
	// +optional
	Template *esv1.ExternalSecretTemplate `json:"template,omitempty"`
}

// PushSecretStatusCondition is one condition of a PushSecret.
type PushSecretStatusCondition struct {
	Type   string                 `json:"type"`
	Status metav1.ConditionStatus `json:"status"`
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
}

// SyncedPushSecretsMap records what was pushed: store → remote key → data.
type SyncedPushSecretsMap map[string]map[string]PushSecretData

// PushSecretStatus is what Ferry observed.
type PushSecretStatus struct {
	// +nullable
	// +optional
	RefreshTime metav1.Time `json:"refreshTime,omitempty"`
	// +optional
	SyncedResourceVersion string `json:"syncedResourceVersion,omitempty"`
	// SyncedPushSecrets records what was pushed where, so it can be deleted again.
	// +optional
	SyncedPushSecrets SyncedPushSecretsMap `json:"syncedPushSecrets,omitempty"`
	// +optional
	Conditions []PushSecretStatusCondition `json:"conditions,omitempty"`
}

// PushSecret pushes the data of Kubernetes Secrets to external stores.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ps,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.refreshTime`
type PushSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PushSecretSpec   `json:"spec,omitempty"`
	Status PushSecretStatus `json:"status,omitempty"`
}

// PushSecretList is a list of PushSecrets.
// +kubebuilder:object:root=true
type PushSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PushSecret `json:"items"`
}
