package v1

// PasswordDepotProvider reads entries from a Password Depot server.
type PasswordDepotProvider struct {
	// Auth says how to authenticate.
	Auth PasswordDepotAuth `json:"auth"`

	// Database is the Password Depot database to read.
	Database string `json:"database"`

	// Host is the host name of the server.
	Host string `json:"host"`
}

// PasswordDepotAuth holds the auth settings of the Password Depot provider.
type PasswordDepotAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef PasswordDepotSecretRef `json:"secretRef"`
}

// PasswordDepotSecretRef holds the auth.secretRef settings of the Password Depot provider.
type PasswordDepotSecretRef struct {
	// Credentials names the Secret key that holds the credentials.
	// +optional
	Credentials *SecretKeySelector `json:"credentials,omitempty"`
}
