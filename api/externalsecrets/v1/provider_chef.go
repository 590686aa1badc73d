package v1

// ChefProvider reads data bag items from a Chef Infra Server.
type ChefProvider struct {
	// Auth says how to authenticate.
	Auth ChefAuth `json:"auth"`

	// ServerURL is the URL of the server.
	ServerURL string `json:"serverUrl"`

	// Username is the username.
	Username string `json:"username"`
}

// ChefAuth holds the auth settings of the Chef Infra Server provider.
type ChefAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef ChefSecretRef `json:"secretRef"`
}

// ChefSecretRef holds the auth.secretRef settings of the Chef Infra Server provider.
type ChefSecretRef struct {
	// PrivateKeySecretRef names the Secret key that holds the private key.
	PrivateKeySecretRef SecretKeySelector `json:"privateKeySecretRef"`
}
