package v1beta1

// OnePasswordProvider reads items from 1Password through a 1Password Connect server.
type OnePasswordProvider struct {
	// Auth says how to authenticate.
	Auth OnePasswordAuth `json:"auth"`

	// ConnectHost is the URL of the 1Password Connect server.
	ConnectHost string `json:"connectHost"`

	// Vaults maps vault names to the order in which they are searched.
	Vaults map[string]int `json:"vaults"`
}

// OnePasswordAuth holds the auth settings of the 1Password Connect provider.
type OnePasswordAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef OnePasswordSecretRef `json:"secretRef"`
}

// OnePasswordSecretRef holds the auth.secretRef settings of the 1Password Connect provider.
type OnePasswordSecretRef struct {
	// ConnectTokenSecretRef names the Secret key that holds the connect token.
	ConnectTokenSecretRef SecretKeySelector `json:"connectTokenSecretRef"`
}
