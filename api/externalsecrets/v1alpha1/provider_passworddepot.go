package v1alpha1

// PasswordDepotProvider configures a Password Depot server. It has the same shape in v1.
type PasswordDepotProvider struct {
	// Host is the server's address.
	Host string `json:"host"`

	// Database is the database the secrets are read from.
	Database string `json:"database"`

	// Auth says how to authenticate.
	Auth PasswordDepotAuth `json:"auth"`
}

// PasswordDepotAuth authenticates with a user name and password.
type PasswordDepotAuth struct {
	// SecretRef names the Secret of the credentials.
	SecretRef PasswordDepotSecretRef `json:"secretRef"`
}

// PasswordDepotSecretRef names the Secret that holds the credentials.
type PasswordDepotSecretRef struct {
	// Credentials names the Secret key that holds the user name and password.
	// +optional
	Credentials *SecretKeySelector `json:"credentials,omitempty"`
}
