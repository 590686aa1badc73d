package v1beta1

// OnboardbaseProvider reads secrets from Onboardbase.
type OnboardbaseProvider struct {
	// APIHost is the URL of the Onboardbase API.
	// +kubebuilder:default="https://public.onboardbase.com/api/v1/"
	APIHost string `json:"apiHost"`

	// Auth says how to authenticate.
	Auth OnboardbaseAuth `json:"auth"`

	// Environment is the environment the secrets belong to.
	// +kubebuilder:default="development"
	Environment string `json:"environment"`

	// Project is the project the secrets belong to.
	// +kubebuilder:default="development"
	Project string `json:"project"`
}

// OnboardbaseAuth holds the auth settings of the Onboardbase provider.
type OnboardbaseAuth struct {
	// APIKeyRef names the Secret key that holds the API key.
	APIKeyRef SecretKeySelector `json:"apiKeyRef"`

	// PasscodeRef names the Secret key that holds the passcode.
	PasscodeRef SecretKeySelector `json:"passcodeRef"`
}
