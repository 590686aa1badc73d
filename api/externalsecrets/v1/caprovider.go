package v1

// CAProviderType says where a CA certificate is read from.
// +kubebuilder:validation:Enum=Secret;ConfigMap
type CAProviderType string

// Kinds of objects a CAProvider reads from.
const (
	CAProviderTypeSecret    CAProviderType = "Secret"
	CAProviderTypeConfigMap CAProviderType = "ConfigMap"
)

// CAProvider names a key of a Secret or ConfigMap that holds PEM-encoded CA certificates.
// Namespace is honoured only by cluster-scoped stores.
type CAProvider struct {
	// Type of the object: Secret or ConfigMap.
	Type CAProviderType `json:"type"`

	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`

	// Key in the object's data that holds the certificates.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[-._a-zA-Z0-9]+$
	// +optional
	Key string `json:"key,omitempty"`

	// Namespace of the object, for ClusterSecretStores only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	Namespace *string `json:"namespace,omitempty"`
}
