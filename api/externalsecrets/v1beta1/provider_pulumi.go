package v1beta1

// PulumiProvider reads values from Pulumi ESC environments.
type PulumiProvider struct {
	// AccessToken reads the access token from a Secret key.
	AccessToken SecretKeySource `json:"accessToken"`

	// APIURL is the URL of the API.
	// +kubebuilder:default="https://api.pulumi.com/api/esc"
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// Environment is the environment the secrets belong to.
	Environment string `json:"environment"`

	// Organization is the organization the secrets belong to.
	Organization string `json:"organization"`

	// Project is the project the secrets belong to.
	Project string `json:"project"`
}
