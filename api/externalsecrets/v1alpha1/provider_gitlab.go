package v1alpha1

// GitlabProvider configures GitLab CI/CD variables. v1 adds group variables, environments
// and a CA for the instance.
type GitlabProvider struct {
	// URL of the GitLab instance; empty means https://gitlab.com/.
	// +optional
	URL string `json:"url,omitempty"`

	// Auth says how to authenticate.
	Auth GitlabAuth `json:"auth"`

	// ProjectID of the project whose variables are read.
	// +optional
	ProjectID string `json:"projectID,omitempty"`
}

// GitlabAuth authenticates with an access token. Its field is spelled SecretRef, capital S,
// in every version of the API.
type GitlabAuth struct {
	// SecretRef names the Secret key of the token.
	SecretRef GitlabSecretRef `json:"SecretRef"`
}

// GitlabSecretRef names the Secret key of a GitLab access token.
type GitlabSecretRef struct {
	// AccessToken is a personal, group or project access token.
	// +optional
	AccessToken *SecretKeySelector `json:"accessToken,omitempty"`
}
