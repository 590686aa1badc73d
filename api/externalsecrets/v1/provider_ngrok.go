package v1

// NgrokProvider writes secrets to an ngrok vault.
type NgrokProvider struct {
	// APIURL is the URL of the API.
	// +kubebuilder:default="https://api.ngrok.com"
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// Auth says how to authenticate.
	Auth NgrokAuth `json:"auth"`

	// Vault names the ngrok vault secrets are written to.
	Vault NgrokVault `json:"vault"`
}

// NgrokAuth holds the auth settings of the ngrok secrets provider.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type NgrokAuth struct {
	// APIKey reads the API key from a Secret key.
	// +optional
	APIKey *SecretKeySource `json:"apiKey,omitempty"`
}

// NgrokVault holds the vault settings of the ngrok secrets provider.
type NgrokVault struct {
	// Name is the name of the vault.
	Name string `json:"name"`
}
