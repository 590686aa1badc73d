package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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

// ExternalSecretCreationPolicy says how Ferry treats the target Secret's existence.
// +kubebuilder:validation:Enum=Owner;Orphan;Merge;None;CreateOrMerge
type ExternalSecretCreationPolicy string

const (
	// CreatePolicyOwner creates the Secret and owns it: deleting the ExternalSecret deletes it.
	CreatePolicyOwner ExternalSecretCreationPolicy = "Owner"
	// CreatePolicyOrphan creates the Secret without an owner reference.
	CreatePolicyOrphan ExternalSecretCreationPolicy = "Orphan"
	// CreatePolicyMerge merges the fetched keys into an existing Secret and never creates one.
	CreatePolicyMerge ExternalSecretCreationPolicy = "Merge"
	// CreatePolicyNone fetches but never writes a Secret.
	CreatePolicyNone ExternalSecretCreationPolicy = "None"
	// CreatePolicyCreateOrMerge merges into an existing Secret, or creates it when missing.
	CreatePolicyCreateOrMerge ExternalSecretCreationPolicy = "CreateOrMerge"
)

// ExternalSecretDeletionPolicy says what happens to the target Secret when the remote data is gone.
// +kubebuilder:validation:Enum=Delete;Merge;Retain
type ExternalSecretDeletionPolicy string

const (
	// DeletionPolicyDelete deletes the Secret when every remote key it holds is gone.
	DeletionPolicyDelete ExternalSecretDeletionPolicy = "Delete"
	// DeletionPolicyMerge removes only the keys whose remote value is gone.
	DeletionPolicyMerge ExternalSecretDeletionPolicy = "Merge"
	// DeletionPolicyRetain keeps the Secret as it is and reports an error.
	DeletionPolicyRetain ExternalSecretDeletionPolicy = "Retain"
)

// ExternalSecretTarget describes the Secret that Ferry writes.
type ExternalSecretTarget struct {
	// Name of the Secret; defaults to the ExternalSecret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`

	// CreationPolicy: Owner (default), Orphan, Merge, None or CreateOrMerge.
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

	// Manifest names a kind other than Secret to write (a ConfigMap, a custom resource), in
	// the ExternalSecret's namespace: ESO's generic targets, which Ferry writes only when
	// started with --unsafe-allow-generic-targets (docs/generic-targets.md).
	// +optional
	Manifest *ManifestReference `json:"manifest,omitempty"`

	// Immutable makes the written Secret immutable.
	// +optional
	Immutable bool `json:"immutable,omitempty"`
}

// ManifestReference names the kind of a generic target.
type ManifestReference struct {
	// APIVersion of the target resource.
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`
	// Kind of the target resource.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`
}

// ExternalSecretTemplateMetadata is the metadata a template puts on the Secret.
type ExternalSecretTemplateMetadata struct {
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Finalizers []string `json:"finalizers,omitempty"`
}

// TemplateEngineVersion selects a template engine.
// +kubebuilder:validation:Enum=v2
type TemplateEngineVersion string

// TemplateEngineV2 is the Go text/template engine over string data.
const TemplateEngineV2 TemplateEngineVersion = "v2"

// TemplateMergePolicy says whether templated keys replace or join the fetched keys.
// +kubebuilder:validation:Enum=Replace;Merge
type TemplateMergePolicy string

const (
	// MergePolicyReplace writes only the templated keys.
	MergePolicyReplace TemplateMergePolicy = "Replace"
	// MergePolicyMerge writes the fetched keys and the templated keys.
	MergePolicyMerge TemplateMergePolicy = "Merge"
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

// TemplateTarget says where a rendered template goes: Data, Annotations, Labels, or for a
// generic target a dot-separated field path such as spec.database.
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
	// ValuesDecodingStrategy decodes the values read from the source.
	// +kubebuilder:validation:Enum=Auto;Base64;Base64URL;None
	// +optional
	ValuesDecodingStrategy ExternalSecretDecodingStrategy `json:"valuesDecodingStrategy,omitempty"`
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

// ExternalSecretNullBytePolicy says what to do with values that hold NUL bytes.
// +kubebuilder:validation:Enum=Ignore;Fail
type ExternalSecretNullBytePolicy string

// Null byte policies.
const (
	NullBytePolicyIgnore ExternalSecretNullBytePolicy = "Ignore"
	NullBytePolicyFail   ExternalSecretNullBytePolicy = "Fail"
)

// ExternalSecretDataRemoteRef names one remote value.
type ExternalSecretDataRemoteRef struct {
	// Key of the remote secret (a name, path or ARN, per provider).
	Key string `json:"key"`

	// MetadataPolicy: Fetch reads the secret's metadata (tags) instead of its value.
	// +optional
	MetadataPolicy ExternalSecretMetadataPolicy `json:"metadataPolicy,omitempty"`

	// Property is a path into a JSON value: dots separate keys, digits index arrays.
	// +optional
	Property string `json:"property,omitempty"`

	// Version of the remote value; provider-specific.
	// +optional
	Version string `json:"version,omitempty"`

	// ConversionStrategy for keys.
	// +optional
	ConversionStrategy ExternalSecretConversionStrategy `json:"conversionStrategy,omitempty"`

	// DecodingStrategy for values.
	// +optional
	DecodingStrategy ExternalSecretDecodingStrategy `json:"decodingStrategy,omitempty"`

	// NullBytePolicy for values.
	// +optional
	NullBytePolicy ExternalSecretNullBytePolicy `json:"nullBytePolicy,omitempty"`
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
	// +optional
	ConversionStrategy ExternalSecretConversionStrategy `json:"conversionStrategy,omitempty"`
	// +optional
	DecodingStrategy ExternalSecretDecodingStrategy `json:"decodingStrategy,omitempty"`
	// +optional
	NullBytePolicy ExternalSecretNullBytePolicy `json:"nullBytePolicy,omitempty"`
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
	Merge *ExternalSecretRewriteMerge `json:"merge,omitempty"`
	// +optional
	Regexp *ExternalSecretRewriteRegexp `json:"regexp,omitempty"`
	// +optional
	Transform *ExternalSecretRewriteTransform `json:"transform,omitempty"`
}

// ExternalSecretRewriteMerge merges JSON values of several keys into one.
type ExternalSecretRewriteMerge struct {
	// +kubebuilder:default=""
	// +optional
	Into string `json:"into,omitempty"`
	// +optional
	Priority []string `json:"priority,omitempty"`
	// +kubebuilder:validation:Enum=IgnoreNotFound;Strict
	// +kubebuilder:default="Strict"
	// +optional
	PriorityPolicy string `json:"priorityPolicy,omitempty"`
	// +kubebuilder:validation:Enum=Ignore;Error
	// +kubebuilder:default="Error"
	// +optional
	ConflictPolicy string `json:"conflictPolicy,omitempty"`
	// +kubebuilder:validation:Enum=Extract;JSON
	// +kubebuilder:default="Extract"
	// +optional
	Strategy string `json:"strategy,omitempty"`
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
	// +kubebuilder:validation:Enum=ACRAccessToken;BeyondtrustWorkloadCredentialsDynamicSecret;ClusterGenerator;CloudsmithAccessToken;ECRAuthorizationToken;Fake;GCRAccessToken;GithubAccessToken;GitlabDeployToken;QuayAccessToken;Password;SSHKey;STSSessionToken;UUID;VaultDynamicSecret;Webhook;Grafana;MFA
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

// SyncWindows restrict when periodic refreshes may happen; a spec change or force-sync
// syncs at once. Schedules are read in UTC, or in the zone of the annotation
// ferry.dev/sync-windows-time-zone.
type SyncWindows struct {
	// Kind allow: refresh only while a window is open; deny: never while one is open.
	// +kubebuilder:validation:Enum=allow;deny
	Kind string `json:"kind"`
	// +listType=atomic
	Windows []SyncWindow `json:"windows"`
}

// SyncWindow is one cron-scheduled window.
type SyncWindow struct {
	// Schedule of the openings: five-field cron, or @daily, @hourly, @every 6h (counted from
	// the Unix epoch), ...
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern:=`^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\s]+.*|[^\s]+( [^\s]+){4})$`
	Schedule string `json:"schedule"`
	// Duration each opening lasts, as a Go duration (8h).
	Duration string `json:"duration"`
}

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
	RefreshInterval *Duration `json:"refreshInterval,omitempty"`

	// Data maps single remote values to Secret keys.
	// +optional
	Data []ExternalSecretData `json:"data,omitempty"`

	// DataFrom reads many keys at once.
	// +optional
	DataFrom []ExternalSecretDataFromRemoteRef `json:"dataFrom,omitempty"`

	// SyncWindows restrict when periodic refreshes may happen.
	// +optional
	SyncWindows *SyncWindows `json:"syncWindows,omitempty"`
}

// ExternalSecretConditionType is the type of an ExternalSecret condition.
// +kubebuilder:validation:Enum=Ready;Deleted
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

// ExternalSecretStatus is what Ferry observed.
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

// ExternalSecret keeps a Kubernetes Secret in sync with values held by an external store.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
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

var _ runtime.Object = &ExternalSecret{}
