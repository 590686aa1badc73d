package v1beta1

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

// ExternalSecretCreationPolicy says how the target Secret comes to exist. v1 adds CreateOrMerge.
// +kubebuilder:validation:Enum=Owner;Orphan;Merge;None
type ExternalSecretCreationPolicy string

// Creation policies.
const (
	CreatePolicyOwner  ExternalSecretCreationPolicy = "Owner"
	CreatePolicyOrphan ExternalSecretCreationPolicy = "Orphan"
	CreatePolicyMerge  ExternalSecretCreationPolicy = "Merge"
	CreatePolicyNone   ExternalSecretCreationPolicy = "None"
)

// ExternalSecretDeletionPolicy says what happens to the target Secret when the remote data is gone.
// +kubebuilder:validation:Enum=Delete;Merge;Retain
type ExternalSecretDeletionPolicy string

// Deletion policies.
const (
	DeletionPolicyDelete ExternalSecretDeletionPolicy = "Delete"
	DeletionPolicyMerge  ExternalSecretDeletionPolicy = "Merge"
	DeletionPolicyRetain ExternalSecretDeletionPolicy = "Retain"
)

// ExternalSecretTarget describes the Secret that is written.
type ExternalSecretTarget struct {
	// Name of the Secret; defaults to the ExternalSecret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`

	// CreationPolicy: Owner (default), Orphan, Merge or None.
	// +kubebuilder:default="Owner"
	// +optional
	CreationPolicy ExternalSecretCreationPolicy `json:"creationPolicy,omitempty"`

	// DeletionPolicy: Retain (default), Delete or Merge.
	// +kubebuilder:default="Retain"
	// +optional
	DeletionPolicy ExternalSecretDeletionPolicy `json:"deletionPolicy,omitempty"`

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
// +kubebuilder:validation:Enum=v2
type TemplateEngineVersion string

// TemplateEngineV2 is the Go text/template engine over string data.
const TemplateEngineV2 TemplateEngineVersion = "v2"

// TemplateMergePolicy says whether templated keys replace or join the fetched keys.
// +kubebuilder:validation:Enum=Replace;Merge
type TemplateMergePolicy string

// Template merge policies.
const (
	MergePolicyReplace TemplateMergePolicy = "Replace"
	MergePolicyMerge   TemplateMergePolicy = "Merge"
)

// ExternalSecretTemplate shapes the target Secret.
type ExternalSecretTemplate struct {
	// Type of the Secret.
	// +optional
	Type corev1.SecretType `json:"type,omitempty"`

	// EngineVersion of the template engine.
	// +kubebuilder:default="v2"
	// +optional
	EngineVersion TemplateEngineVersion `json:"engineVersion,omitempty"`

	// Metadata put on the Secret.
	// +optional
	Metadata ExternalSecretTemplateMetadata `json:"metadata,omitempty"`

	// MergePolicy of templated and fetched keys.
	// +kubebuilder:default="Replace"
	// +optional
	MergePolicy TemplateMergePolicy `json:"mergePolicy,omitempty"`

	// Data maps Secret keys to templates.
	// +optional
	Data map[string]string `json:"data,omitempty"`

	// TemplateFrom reads templates from ConfigMaps, Secrets or literals.
	// +optional
	TemplateFrom []TemplateFrom `json:"templateFrom,omitempty"`
}

// TemplateScope says whether a template sees values only, or keys and values.
// +kubebuilder:validation:Enum=Values;KeysAndValues
type TemplateScope string

// Template scopes.
const (
	TemplateScopeValues        TemplateScope = "Values"
	TemplateScopeKeysAndValues TemplateScope = "KeysAndValues"
)

// TemplateTarget says where a rendered template goes.
// +kubebuilder:validation:Enum=Data;Annotations;Labels
type TemplateTarget string

// Template targets.
const (
	TemplateTargetData        TemplateTarget = "Data"
	TemplateTargetAnnotations TemplateTarget = "Annotations"
	TemplateTargetLabels      TemplateTarget = "Labels"
)

// TemplateFrom is one source of templates.
type TemplateFrom struct {
	// +optional
	ConfigMap *TemplateRef `json:"configMap,omitempty"`
	// +optional
	Secret *TemplateRef `json:"secret,omitempty"`
	// +kubebuilder:default="Data"
	// +optional
	Target TemplateTarget `json:"target,omitempty"`
	// +optional
	Literal *string `json:"literal,omitempty"`
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
	// +kubebuilder:default="Values"
	// +optional
	TemplateAs TemplateScope `json:"templateAs,omitempty"`
}

// ExternalSecretConversionStrategy says how keys with special characters are converted.
// +kubebuilder:validation:Enum=Default;Unicode
type ExternalSecretConversionStrategy string

// Conversion strategies.
const (
	ConversionDefault ExternalSecretConversionStrategy = "Default"
	ConversionUnicode ExternalSecretConversionStrategy = "Unicode"
)

// ExternalSecretDecodingStrategy says how fetched values are decoded.
// +kubebuilder:validation:Enum=Auto;Base64;Base64URL;None
type ExternalSecretDecodingStrategy string

// Decoding strategies.
const (
	DecodingAuto      ExternalSecretDecodingStrategy = "Auto"
	DecodingBase64    ExternalSecretDecodingStrategy = "Base64"
	DecodingBase64URL ExternalSecretDecodingStrategy = "Base64URL"
	DecodingNone      ExternalSecretDecodingStrategy = "None"
)

// ExternalSecretMetadataPolicy says whether the remote metadata (tags) is read instead of the value.
// +kubebuilder:validation:Enum=None;Fetch
type ExternalSecretMetadataPolicy string

// Metadata policies.
const (
	MetadataPolicyNone  ExternalSecretMetadataPolicy = "None"
	MetadataPolicyFetch ExternalSecretMetadataPolicy = "Fetch"
)

// ExternalSecretDataRemoteRef names one remote value.
type ExternalSecretDataRemoteRef struct {
	// Key of the remote secret (a name, path or ARN, per provider).
	Key string `json:"key"`

	// MetadataPolicy: Fetch reads the secret's metadata (tags) instead of its value.
	// +kubebuilder:default="None"
	// +optional
	MetadataPolicy ExternalSecretMetadataPolicy `json:"metadataPolicy,omitempty"`

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

	// DecodingStrategy for values.
	// +kubebuilder:default="None"
	// +optional
	DecodingStrategy ExternalSecretDecodingStrategy `json:"decodingStrategy,omitempty"`
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

	// SourceRef reads this entry from another store or a generator.
	// +optional
	SourceRef *StoreSourceRef `json:"sourceRef,omitempty"`
}

// ExternalSecretFind selects many remote secrets.
type ExternalSecretFind struct {
	// Path prefix of the remote secrets.
	// +optional
	Path *string `json:"path,omitempty"`
	// Name matches the remote secrets' names.
	// +optional
	Name *FindName `json:"name,omitempty"`
	// Tags that the remote secrets must all carry.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
	// +kubebuilder:default="Default"
	// +optional
	ConversionStrategy ExternalSecretConversionStrategy `json:"conversionStrategy,omitempty"`
	// +kubebuilder:default="None"
	// +optional
	DecodingStrategy ExternalSecretDecodingStrategy `json:"decodingStrategy,omitempty"`
}

// FindName matches names by regular expression.
type FindName struct {
	// RegExp is an RE2 regular expression.
	// +optional
	RegExp string `json:"regexp,omitempty"`
}

// ExternalSecretRewrite is one rewrite of the keys fetched by a dataFrom entry.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type ExternalSecretRewrite struct {
	// +optional
	Regexp *ExternalSecretRewriteRegexp `json:"regexp,omitempty"`
	// +optional
	Transform *ExternalSecretRewriteTransform `json:"transform,omitempty"`
}

// ExternalSecretRewriteRegexp replaces key parts that match Source with Target.
type ExternalSecretRewriteRegexp struct {
	// Source is an RE2 regular expression.
	Source string `json:"source"`
	// Target is the replacement, with $1-style references.
	Target string `json:"target"`
}

// ExternalSecretRewriteTransform rewrites keys with a template.
type ExternalSecretRewriteTransform struct {
	Template string `json:"template"`
}

// ExternalSecretDataFromRemoteRef reads many keys at once.
type ExternalSecretDataFromRemoteRef struct {
	// Extract spreads the keys of one JSON remote value into the Secret.
	// +optional
	Extract *ExternalSecretDataRemoteRef `json:"extract,omitempty"`
	// Find reads every remote secret that matches.
	// +optional
	Find *ExternalSecretFind `json:"find,omitempty"`
	// Rewrite renames the keys read by this entry, in order.
	// +optional
	Rewrite []ExternalSecretRewrite `json:"rewrite,omitempty"`
	// SourceRef reads this entry from another store or a generator.
	// +optional
	SourceRef *StoreGeneratorSourceRef `json:"sourceRef,omitempty"`
}

// StoreSourceRef points a data entry at another store or a generator.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type StoreSourceRef struct {
	// +optional
	SecretStoreRef *SecretStoreRef `json:"storeRef,omitempty"`
	// +optional
	GeneratorRef *GeneratorRef `json:"generatorRef,omitempty"`
}

// StoreGeneratorSourceRef points a dataFrom entry at another store or a generator.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type StoreGeneratorSourceRef struct {
	// +optional
	SecretStoreRef *SecretStoreRef `json:"storeRef,omitempty"`
	// +optional
	GeneratorRef *GeneratorRef `json:"generatorRef,omitempty"`
}

// GeneratorRef names a generator resource.
type GeneratorRef struct {
	// +kubebuilder:default="generators.external-secrets.io/v1alpha1"
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// +kubebuilder:validation:Enum=ACRAccessToken;ClusterGenerator;ECRAuthorizationToken;Fake;GCRAccessToken;GithubAccessToken;QuayAccessToken;Password;SSHKey;STSSessionToken;UUID;VaultDynamicSecret;Webhook;Grafana
	Kind string `json:"kind"`
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`
}

// ExternalSecretRefreshPolicy says when an ExternalSecret is synced again.
// +kubebuilder:validation:Enum=CreatedOnce;Periodic;OnChange
type ExternalSecretRefreshPolicy string

// Refresh policies.
const (
	RefreshPolicyCreatedOnce ExternalSecretRefreshPolicy = "CreatedOnce"
	RefreshPolicyPeriodic    ExternalSecretRefreshPolicy = "Periodic"
	RefreshPolicyOnChange    ExternalSecretRefreshPolicy = "OnChange"
)

// ExternalSecretSpec is what an ExternalSecret asks for.
type ExternalSecretSpec struct {
	// SecretStoreRef names the default store of the entries.
	// +optional
	SecretStoreRef SecretStoreRef `json:"secretStoreRef,omitempty"`

	// Target describes the Secret to write.
	// +kubebuilder:default={creationPolicy:Owner,deletionPolicy:Retain}
	// +optional
	Target ExternalSecretTarget `json:"target,omitempty"`

	// RefreshPolicy: Periodic (default when refreshInterval > 0), OnChange or CreatedOnce.
	// +optional
	RefreshPolicy ExternalSecretRefreshPolicy `json:"refreshPolicy,omitempty"`

	// RefreshInterval between syncs, as a Go duration; 0 syncs once.
	// +kubebuilder:default="1h0m0s"
	// +optional
	RefreshInterval *esv1.Duration `json:"refreshInterval,omitempty"`

	// Data maps single remote values to Secret keys.
	// +optional
	Data []ExternalSecretData `json:"data,omitempty"`

	// DataFrom reads many keys at once.
	// +optional
	DataFrom []ExternalSecretDataFromRemoteRef `json:"dataFrom,omitempty"`
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
// in the v1beta1 shape.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=es,categories=external-secrets
// +kubebuilder:printcolumn:name="StoreType",type=string,JSONPath=`.spec.secretStoreRef.kind`
// +kubebuilder:printcolumn:name="Store",type=string,JSONPath=`.spec.secretStoreRef.name`
// +kubebuilder:printcolumn:name="Refresh Interval",type=string,JSONPath=`.spec.refreshInterval`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.refreshTime`
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
