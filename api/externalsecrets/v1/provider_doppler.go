package v1

// DopplerProvider reads secrets from Doppler.
type DopplerProvider struct {
	// Auth says how to authenticate.
	Auth DopplerAuth `json:"auth"`

	// Config is the Doppler config to read.
	// +optional
	Config string `json:"config,omitempty"`

	// Format is the format Doppler returns secrets in.
	// +kubebuilder:validation:Enum=json;dotnet-json;env;yaml;docker
	// +optional
	Format string `json:"format,omitempty"`

	// NameTransformer is how Doppler rewrites secret names.
	// +kubebuilder:validation:Enum=upper-camel;camel;lower-snake;tf-var;dotnet-env;lower-kebab
	// +optional
	NameTransformer string `json:"nameTransformer,omitempty"`

	// Project is the project the secrets belong to.
	// +optional
	Project string `json:"project,omitempty"`
}

// DopplerAuth holds the auth settings of the Doppler provider.
// +kubebuilder:validation:XValidation:rule="(has(self.secretRef) && !has(self.oidcConfig)) || (!has(self.secretRef) && has(self.oidcConfig))",message="set exactly one of secretRef and oidcConfig"
type DopplerAuth struct {
	// OIDCConfig holds the OIDC config settings.
	// +optional
	OIDCConfig *DopplerOIDCConfig `json:"oidcConfig,omitempty"`

	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *DopplerSecretRef `json:"secretRef,omitempty"`
}

// DopplerOIDCConfig holds the auth.oidcConfig settings of the Doppler provider.
type DopplerOIDCConfig struct {
	// ExpirationSeconds is the lifetime of the requested ServiceAccount token, in seconds.
	// +kubebuilder:default=600
	// +optional
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`

	// Identity is the Doppler service account identity to assume.
	Identity string `json:"identity"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`
}

// DopplerSecretRef holds the auth.secretRef settings of the Doppler provider.
type DopplerSecretRef struct {
	// DopplerToken names the Secret key that holds the doppler token.
	DopplerToken SecretKeySelector `json:"dopplerToken"`
}
