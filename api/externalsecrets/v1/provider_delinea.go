package v1

// DelineaProvider reads secrets from Delinea DevOps Secrets Vault.
type DelineaProvider struct {
	// ClientID holds the client ID settings.
	ClientID InlineOrSecretValue `json:"clientId"`

	// ClientSecret holds the client secret settings.
	ClientSecret InlineOrSecretValue `json:"clientSecret"`

	// Tenant is the tenant.
	Tenant string `json:"tenant"`

	// Tld is the tld.
	// +optional
	Tld string `json:"tld,omitempty"`

	// URLTemplate is the URL template.
	// +optional
	URLTemplate string `json:"urlTemplate,omitempty"`
}
