package v1beta1

// OracleProvider reads secrets from Oracle Cloud Infrastructure Vault.
type OracleProvider struct {
	// Auth says how to authenticate.
	// +optional
	Auth *OracleAuth `json:"auth,omitempty"`

	// Compartment is the OCID of the compartment new secrets are created in.
	// +optional
	Compartment string `json:"compartment,omitempty"`

	// EncryptionKey is the OCID of the key new secrets are encrypted with.
	// +optional
	EncryptionKey string `json:"encryptionKey,omitempty"`

	// PrincipalType is the kind of principal that authenticates.
	// +kubebuilder:validation:Enum="";UserPrincipal;InstancePrincipal;Workload
	// +optional
	PrincipalType string `json:"principalType,omitempty"`

	// Region is the region of the service.
	Region string `json:"region"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// Vault is the vault the secrets belong to.
	Vault string `json:"vault"`
}

// OracleAuth holds the auth settings of the Oracle Cloud Infrastructure Vault provider.
type OracleAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef OracleSecretRef `json:"secretRef"`

	// Tenancy is the OCID of the tenancy.
	Tenancy string `json:"tenancy"`

	// User is the OCID of the user.
	User string `json:"user"`
}

// OracleSecretRef holds the auth.secretRef settings of the Oracle Cloud Infrastructure Vault provider.
type OracleSecretRef struct {
	// Fingerprint names the Secret key that holds the fingerprint.
	Fingerprint SecretKeySelector `json:"fingerprint"`

	// PrivateKey names the Secret key that holds the private key.
	PrivateKey SecretKeySelector `json:"privatekey"`
}
