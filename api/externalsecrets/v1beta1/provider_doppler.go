package v1beta1

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
type DopplerAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef DopplerSecretRef `json:"secretRef"`
}

// DopplerSecretRef holds the auth.secretRef settings of the Doppler provider.
type DopplerSecretRef struct {
	// DopplerToken names the Secret key that holds the doppler token.
	DopplerToken SecretKeySelector `json:"dopplerToken"`
}
