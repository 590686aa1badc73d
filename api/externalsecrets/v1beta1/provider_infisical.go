package v1beta1

// InfisicalProvider reads secrets from Infisical.
type InfisicalProvider struct {
	// Auth says how to authenticate.
	Auth InfisicalAuth `json:"auth"`

	// HostAPI is the URL of the Infisical API.
	// +kubebuilder:default="https://app.infisical.com/api"
	// +optional
	HostAPI string `json:"hostAPI,omitempty"`

	// SecretsScope holds the secrets scope settings.
	SecretsScope InfisicalSecretsScope `json:"secretsScope"`
}

// InfisicalAuth holds the auth settings of the Infisical provider.
type InfisicalAuth struct {
	// UniversalAuthCredentials holds the universal auth credentials settings.
	// +optional
	UniversalAuthCredentials *InfisicalUniversalAuthCredentials `json:"universalAuthCredentials,omitempty"`
}

// InfisicalSecretsScope holds the secretsScope settings of the Infisical provider.
type InfisicalSecretsScope struct {
	// EnvironmentSlug is the environment slug.
	EnvironmentSlug string `json:"environmentSlug"`

	// ExpandSecretReferences expands references to other secrets in values.
	// +kubebuilder:default=true
	// +optional
	ExpandSecretReferences *bool `json:"expandSecretReferences,omitempty"`

	// ProjectSlug is the project slug.
	ProjectSlug string `json:"projectSlug"`

	// Recursive also reads the secrets of sub-paths.
	// +kubebuilder:default=false
	// +optional
	Recursive bool `json:"recursive,omitempty"`

	// SecretsPath is the secrets path.
	// +kubebuilder:default="/"
	// +optional
	SecretsPath string `json:"secretsPath,omitempty"`
}

// InfisicalUniversalAuthCredentials holds the auth.universalAuthCredentials settings of the Infisical provider.
type InfisicalUniversalAuthCredentials struct {
	// ClientID names the Secret key that holds the client ID.
	ClientID SecretKeySelector `json:"clientId"`

	// ClientSecret names the Secret key that holds the client secret.
	ClientSecret SecretKeySelector `json:"clientSecret"`
}
