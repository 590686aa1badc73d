package v1

// PulumiProvider reads values from Pulumi ESC environments.
// +kubebuilder:validation:XValidation:rule="(has(self.auth) && !has(self.accessToken)) || (!has(self.auth) && has(self.accessToken))",message="set exactly one of auth and accessToken"
type PulumiProvider struct {
	// AccessToken reads the access token from a Secret key.
	// +optional
	AccessToken *SecretKeySource `json:"accessToken,omitempty"`

	// APIURL is the URL of the API.
	// +kubebuilder:default="https://api.pulumi.com/api/esc"
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// Auth says how to authenticate.
	// +optional
	Auth *PulumiAuth `json:"auth,omitempty"`

	// Environment is the environment the secrets belong to.
	Environment string `json:"environment"`

	// Organization is the organization the secrets belong to.
	Organization string `json:"organization"`

	// Project is the project the secrets belong to.
	Project string `json:"project"`
}

// PulumiAuth holds the auth settings of the Pulumi ESC provider.
// +kubebuilder:validation:XValidation:rule="(has(self.accessToken) && !has(self.oidcConfig)) || (!has(self.accessToken) && has(self.oidcConfig))",message="set exactly one of accessToken and oidcConfig"
type PulumiAuth struct {
	// AccessToken reads the access token from a Secret key.
	// +optional
	AccessToken *SecretKeySource `json:"accessToken,omitempty"`

	// OIDCConfig holds the OIDC config settings.
	// +optional
	OIDCConfig *PulumiOIDCConfig `json:"oidcConfig,omitempty"`
}

// PulumiOIDCConfig holds the auth.oidcConfig settings of the Pulumi ESC provider.
type PulumiOIDCConfig struct {
	// ExpirationSeconds is the lifetime of the requested ServiceAccount token, in seconds.
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=600
	// +optional
	ExpirationSeconds int64 `json:"expirationSeconds,omitempty"`

	// Organization is the organization the secrets belong to.
	Organization string `json:"organization"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`
}
