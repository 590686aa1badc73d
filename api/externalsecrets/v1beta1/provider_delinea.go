package v1beta1

// DelineaProvider reads secrets from Delinea DevOps Secrets Vault.
type DelineaProvider struct {
	// ClientID is the client ID, given inline or read from a Secret key.
	ClientID InlineOrSecretValue `json:"clientId"`

	// ClientSecret is the client secret, given inline or read from a Secret key.
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
