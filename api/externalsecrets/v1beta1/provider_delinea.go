package v1beta1

// DelineaProvider reads secrets from Delinea DevOps Secrets Vault.
type DelineaProvider struct {
	// ClientID holds the client ID settings.
	ClientID InlineOrSecretValue `json:"clientId"`

	// ClientSecret holds the client secret settings.
	ClientSecret InlineOrSecretValue `json:"clientSecret"`

	// Tenant is the tenant of the Delinea platform.
	Tenant string `json:"tenant"`

	// TLD is the top-level domain of the tenant's URL.
	// +optional
	TLD string `json:"tld,omitempty"`

	// URLTemplate is the template of the tenant's URL.
	// +optional
	URLTemplate string `json:"urlTemplate,omitempty"`
}
