package v1

// VaultKVStoreVersion is the version of a Vault KV secrets engine.
// +kubebuilder:validation:Enum=v1;v2
type VaultKVStoreVersion string

// KV engine versions.
const (
	VaultKVStoreV1 VaultKVStoreVersion = "v1"
	VaultKVStoreV2 VaultKVStoreVersion = "v2"
)

// VaultProvider configures HashiCorp Vault's KV secrets engine.
type VaultProvider struct {
	// Auth says how to obtain a Vault token.
	// +optional
	Auth *VaultAuth `json:"auth,omitempty"`

	// Server is the Vault address, e.g. "https://vault.example.com:8200".
	Server string `json:"server"`

	// Path is the mount path of the KV engine, e.g. "secret". Without it, the first segment
	// of each remote key is the mount.
	// +optional
	Path *string `json:"path,omitempty"`

	// Version of the KV engine: v2 (default) inserts "data/" after the mount.
	// +kubebuilder:default:="v2"
	// +optional
	Version VaultKVStoreVersion `json:"version,omitempty"`

	// Namespace is the Vault (Enterprise) namespace the secrets live in.
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// ClientTLS is a client certificate presented to the server (mutual TLS).
	// +optional
	ClientTLS *VaultClientTLS `json:"tls,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// ReadYourWrites sends back the replication state Vault returns, so reads after writes
	// are consistent on performance standbys (Vault Enterprise).
	// +optional
	ReadYourWrites bool `json:"readYourWrites,omitempty"`

	// ForwardInconsistent asks standbys to forward requests they cannot serve consistently to
	// the active node (Vault Enterprise).
	// +optional
	ForwardInconsistent bool `json:"forwardInconsistent,omitempty"`

	// Headers are added to every request to Vault.
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// CheckAndSet configures writes (PushSecret) to KV v2.
	// +optional
	CheckAndSet *VaultCheckAndSet `json:"checkAndSet,omitempty"`
}

// VaultCheckAndSet configures check-and-set writes to KV v2.
type VaultCheckAndSet struct {
	// Required makes every write carry the version it replaces.
	// +optional
	Required bool `json:"required,omitempty"`
}

// VaultClientTLS names the Secret keys holding a client certificate and its key.
type VaultClientTLS struct {
	// CertSecretRef is the PEM certificate (a kubernetes.io/tls Secret's tls.crt).
	// +optional
	CertSecretRef *SecretKeySelector `json:"certSecretRef,omitempty"`
	// KeySecretRef is the PEM private key (tls.key).
	// +optional
	KeySecretRef *SecretKeySelector `json:"keySecretRef,omitempty"`
}

// VaultAuth says how to obtain a Vault token. Exactly one method is set.
type VaultAuth struct {
	// Namespace is the Vault namespace to log in to, when it differs from the store's.
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// TokenSecretRef reads a static token from a Secret.
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`

	// AppRole logs in with a role id and a secret id.
	// +optional
	AppRole *VaultAppRole `json:"appRole,omitempty"`

	// Kubernetes logs in with a ServiceAccount token.
	// +optional
	Kubernetes *VaultKubernetesAuth `json:"kubernetes,omitempty"`

	// Ldap logs in with an LDAP username and password.
	// +optional
	Ldap *VaultLdapAuth `json:"ldap,omitempty"`

	// Jwt logs in with a JWT or OIDC token.
	// +optional
	Jwt *VaultJwtAuth `json:"jwt,omitempty"`

	// Cert logs in with a TLS client certificate.
	// +optional
	Cert *VaultCertAuth `json:"cert,omitempty"`

	// Iam logs in with AWS IAM credentials.
	// +optional
	Iam *VaultIamAuth `json:"iam,omitempty"`

	// UserPass logs in with a username and password.
	// +optional
	UserPass *VaultUserPassAuth `json:"userPass,omitempty"`

	// GCP logs in with Google Cloud credentials.
	// +optional
	GCP *VaultGCPAuth `json:"gcp,omitempty"`
}

// VaultAppRole logs in with AppRole.
type VaultAppRole struct {
	// Path is the mount path of the AppRole auth method.
	// +kubebuilder:default=approle
	Path string `json:"path"`

	// RoleID of the role, written inline.
	// +optional
	RoleID string `json:"roleId,omitempty"`

	// RoleRef reads the role id from a Secret instead.
	// +optional
	RoleRef *SecretKeySelector `json:"roleRef,omitempty"`

	// SecretRef reads the secret id from a Secret.
	SecretRef SecretKeySelector `json:"secretRef"`
}

// VaultKubernetesAuth logs in with the Kubernetes auth method.
type VaultKubernetesAuth struct {
	// Path is the mount path of the Kubernetes auth method.
	// +kubebuilder:default=kubernetes
	Path string `json:"mountPath"`

	// ServiceAccountRef names a ServiceAccount whose token is requested (TokenRequest API).
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// SecretRef reads a ServiceAccount token from a Secret instead.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Role is the Vault role to log in as.
	Role string `json:"role"`
}

// VaultLdapAuth logs in with the LDAP auth method.
type VaultLdapAuth struct {
	// Path is the mount path of the LDAP auth method.
	// +kubebuilder:default=ldap
	Path string `json:"path"`

	// Username to log in as.
	Username string `json:"username"`

	// SecretRef reads the password from a Secret.
	// +optional
	SecretRef SecretKeySelector `json:"secretRef,omitempty"`
}

// VaultUserPassAuth logs in with the userpass auth method.
type VaultUserPassAuth struct {
	// Path is the mount path of the userpass auth method.
	// +kubebuilder:default=userpass
	Path string `json:"path"`

	// Username to log in as.
	Username string `json:"username"`

	// SecretRef reads the password from a Secret.
	// +optional
	SecretRef SecretKeySelector `json:"secretRef,omitempty"`
}

// VaultJwtAuth logs in with the JWT/OIDC auth method.
type VaultJwtAuth struct {
	// Path is the mount path of the JWT auth method.
	// +kubebuilder:default=jwt
	Path string `json:"path"`

	// Role to log in as; empty uses the method's default role.
	// +optional
	Role string `json:"role,omitempty"`

	// SecretRef reads the JWT from a Secret.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// KubernetesServiceAccountToken requests a ServiceAccount token to log in with.
	// +optional
	KubernetesServiceAccountToken *VaultKubernetesServiceAccountTokenAuth `json:"kubernetesServiceAccountToken,omitempty"`
}

// VaultKubernetesServiceAccountTokenAuth says which ServiceAccount token to request.
type VaultKubernetesServiceAccountTokenAuth struct {
	// ServiceAccountRef names the ServiceAccount.
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`

	// Audiences of the token; default: those of ServiceAccountRef, else "vault".
	// +optional
	Audiences []string `json:"audiences,omitempty"`

	// ExpirationSeconds is the token's requested lifetime (default 600).
	// +optional
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
}

// VaultCertAuth logs in with the TLS certificate auth method.
type VaultCertAuth struct {
	// Path is the mount path of the cert auth method.
	// +kubebuilder:default=cert
	// +optional
	Path string `json:"path,omitempty"`

	// VaultRole is the certificate role to log in as; empty tries every role.
	// +optional
	VaultRole string `json:"vaultRole,omitempty"`

	// ClientCert reads the PEM client certificate from a Secret.
	// +optional
	ClientCert SecretKeySelector `json:"clientCert,omitempty"`

	// SecretRef reads the PEM private key from a Secret.
	// +optional
	SecretRef SecretKeySelector `json:"secretRef,omitempty"`
}

// VaultIamAuth logs in with the AWS auth method (IAM).
type VaultIamAuth struct {
	// +optional
	Path string `json:"path,omitempty"`
	// +optional
	Region string `json:"region,omitempty"`
	// AWSIAMRole is an IAM role assumed before logging in.
	// +optional
	AWSIAMRole string `json:"role,omitempty"`
	// VaultRole is the Vault role to log in as.
	VaultRole string `json:"vaultRole"`
	// +optional
	ExternalID string `json:"externalID,omitempty"`
	// +optional
	VaultAWSIAMServerID string `json:"vaultAwsIamServerID,omitempty"`
	// +optional
	SecretRef *AWSAuthSecretRef `json:"secretRef,omitempty"`
	// +optional
	JWTAuth *AWSJWTAuth `json:"jwt,omitempty"`
}

// VaultGCPAuth logs in with the GCP auth method.
type VaultGCPAuth struct {
	// +kubebuilder:default=gcp
	// +optional
	Path string `json:"path,omitempty"`
	// Role is the Vault role to log in as.
	Role string `json:"role"`
	// +optional
	ProjectID string `json:"projectID,omitempty"`
	// +optional
	Location string `json:"location,omitempty"`
	// +optional
	SecretRef *VaultGCPSecretRef `json:"secretRef,omitempty"`
	// +optional
	WorkloadIdentity *VaultGCPWorkloadIdentity `json:"workloadIdentity,omitempty"`
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}

// VaultGCPSecretRef names the Secret key holding a GCP service account key.
type VaultGCPSecretRef struct {
	// +optional
	SecretAccessKey SecretKeySelector `json:"secretAccessKeySecretRef,omitempty"`
}

// VaultGCPWorkloadIdentity names a GKE workload identity.
type VaultGCPWorkloadIdentity struct {
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`
	// +optional
	ClusterLocation string `json:"clusterLocation,omitempty"`
	// +optional
	ClusterName string `json:"clusterName,omitempty"`
	// +optional
	ClusterProjectID string `json:"clusterProjectID,omitempty"`
}
