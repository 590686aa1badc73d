package v1alpha1

// OraclePrincipalType is how the Oracle Vault provider authenticates.
// +kubebuilder:validation:Enum="";UserPrincipal;InstancePrincipal;Workload
type OraclePrincipalType string

// Oracle principal types; empty lets the presence of auth decide.
const (
	OracleUserPrincipal     OraclePrincipalType = "UserPrincipal"
	OracleInstancePrincipal OraclePrincipalType = "InstancePrincipal"
	OracleWorkloadPrincipal OraclePrincipalType = "Workload"
)

// OracleProvider configures Oracle Cloud Infrastructure Vault. It has the same shape in v1.
type OracleProvider struct {
	// Region of the vault, e.g. "eu-frankfurt-1".
	Region string `json:"region"`

	// Vault is the vault's OCID.
	Vault string `json:"vault"`

	// Compartment is the OCID of the compartment that new secrets go to; PushSecret needs it.
	// +optional
	Compartment string `json:"compartment,omitempty"`

	// EncryptionKey is the OCID of the key that encrypts new secrets; PushSecret needs it.
	// +optional
	EncryptionKey string `json:"encryptionKey,omitempty"`

	// PrincipalType says how to authenticate; workload identity must name it.
	// +optional
	PrincipalType OraclePrincipalType `json:"principalType,omitempty"`

	// Auth holds a user principal's identity and API signing key.
	// +optional
	Auth *OracleAuth `json:"auth,omitempty"`

	// ServiceAccountRef is the ServiceAccount whose token workload identity exchanges.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}

// OracleAuth is a user principal.
type OracleAuth struct {
	// Tenancy is the OCID of the user's tenancy.
	Tenancy string `json:"tenancy"`

	// User is the user's OCID.
	User string `json:"user"`

	// SecretRef names the Secret keys of the user's API signing key.
	SecretRef OracleSecretRef `json:"secretRef"`
}

// OracleSecretRef names the Secret keys of an API signing key.
type OracleSecretRef struct {
	// PrivateKey is the PEM-encoded private key.
	PrivateKey SecretKeySelector `json:"privatekey"`

	// Fingerprint is the key's fingerprint.
	Fingerprint SecretKeySelector `json:"fingerprint"`
}
