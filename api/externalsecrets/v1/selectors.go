package v1

// SecretKeySelector names one key of a Secret. Namespace is honoured only by cluster-scoped
// stores; a namespaced SecretStore always reads from its own namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	// +optional
	Name string `json:"name,omitempty"`

	// Namespace of the Secret, for ClusterSecretStores only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// Key in the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[-._a-zA-Z0-9]+$
	// +optional
	Key string `json:"key,omitempty"`
}

// ServiceAccountSelector names a ServiceAccount. Namespace is honoured only by cluster-scoped
// stores; without it, a ClusterSecretStore uses the ExternalSecret's namespace.
type ServiceAccountSelector struct {
	// Name of the ServiceAccount.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`

	// Namespace of the ServiceAccount, for ClusterSecretStores only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// Audiences added to the requested token.
	// +optional
	Audiences []string `json:"audiences,omitempty"`
}

// InlineOrSecretValue is a value given inline or read from a Secret key.
type InlineOrSecretValue struct {
	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Value is given inline.
	// +optional
	Value string `json:"value,omitempty"`
}

// SecretKeySource reads a value from one Secret key.
type SecretKeySource struct {
	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
}

// CertSecretCAProvider reads the CA certificate that verifies the server from one Secret key.
type CertSecretCAProvider struct {
	// CertSecretRef names the Secret key that holds the PEM-encoded CA certificate.
	// +optional
	CertSecretRef *SecretKeySelector `json:"certSecretRef,omitempty"`
}
