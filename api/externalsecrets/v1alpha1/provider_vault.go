package v1alpha1

// VaultKVStoreVersion is the version of a Vault KV secrets engine.
// +kubebuilder:validation:Enum=v1;v2
type VaultKVStoreVersion string

// KV engine versions.
const (
	VaultKVStoreV1 VaultKVStoreVersion = "v1"
	VaultKVStoreV2 VaultKVStoreVersion = "v2"
)

// VaultProvider configures HashiCorp Vault's KV secrets engine. v1beta1 adds client TLS,
// headers, more auth methods and an auth namespace, and makes auth optional.
type VaultProvider struct {
	// Auth says how to obtain a Vault token.
	Auth VaultAuth `json:"auth"`

	// Server is the Vault address.
	Server string `json:"server"`

	// Path is the mount path of the KV engine.
	// +optional
	Path *string `json:"path,omitempty"`

	// Version of the KV engine (default v2).
	// +kubebuilder:default:="v2"
	// +optional
	Version VaultKVStoreVersion `json:"version,omitempty"`

	// Namespace is the Vault (Enterprise) namespace.
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// ReadYourWrites sends back the replication state Vault returns (Vault Enterprise).
	// +optional
	ReadYourWrites bool `json:"readYourWrites,omitempty"`

	// ForwardInconsistent asks standbys to forward inconsistent requests (Vault Enterprise).
	// +optional
	ForwardInconsistent bool `json:"forwardInconsistent,omitempty"`
}

// VaultAuth says how to obtain a Vault token. Exactly one method is set.
type VaultAuth struct {
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`
	// +optional
	AppRole *VaultAppRole `json:"appRole,omitempty"`
	// +optional
	Kubernetes *VaultKubernetesAuth `json:"kubernetes,omitempty"`
	// +optional
	Ldap *VaultLdapAuth `json:"ldap,omitempty"`
	// +optional
	Jwt *VaultJwtAuth `json:"jwt,omitempty"`
	// +optional
	Cert *VaultCertAuth `json:"cert,omitempty"`
}

// VaultAppRole logs in with AppRole.
type VaultAppRole struct {
	// +kubebuilder:default=approle
	Path string `json:"path"`
	// RoleID of the role.
	RoleID string `json:"roleId"`
	// SecretRef reads the secret id from a Secret.
	SecretRef SecretKeySelector `json:"secretRef"`
}

// VaultKubernetesAuth logs in with the Kubernetes auth method.
type VaultKubernetesAuth struct {
	// +kubebuilder:default=kubernetes
	Path string `json:"mountPath"`
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
	Role      string             `json:"role"`
}

// VaultLdapAuth logs in with the LDAP auth method.
type VaultLdapAuth struct {
	// +kubebuilder:default=ldap
	Path     string `json:"path"`
	Username string `json:"username"`
	// +optional
	SecretRef SecretKeySelector `json:"secretRef,omitempty"`
}

// VaultJwtAuth logs in with the JWT/OIDC auth method.
type VaultJwtAuth struct {
	// +kubebuilder:default=jwt
	Path string `json:"path"`
	// +optional
	Role string `json:"role,omitempty"`
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
	// +optional
	KubernetesServiceAccountToken *VaultKubernetesServiceAccountTokenAuth `json:"kubernetesServiceAccountToken,omitempty"`
}

// VaultKubernetesServiceAccountTokenAuth says which ServiceAccount token to request.
type VaultKubernetesServiceAccountTokenAuth struct {
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`
	// +optional
	Audiences []string `json:"audiences,omitempty"`
	// +optional
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
}

// VaultCertAuth logs in with the TLS certificate auth method.
type VaultCertAuth struct {
	// +optional
	ClientCert SecretKeySelector `json:"clientCert,omitempty"`
	// +optional
	SecretRef SecretKeySelector `json:"secretRef,omitempty"`
}
