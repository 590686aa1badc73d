package v1beta1

// GithubProvider writes GitHub Actions secrets; GitHub does not let them be read back.
type GithubProvider struct {
	// AppID is the ID of the GitHub App.
	AppID int64 `json:"appID"`

	// Auth says how to authenticate.
	Auth GithubAuth `json:"auth"`

	// Environment is the environment the secrets belong to.
	// +optional
	Environment string `json:"environment,omitempty"`

	// InstallationID is the ID of the GitHub App's installation.
	InstallationID int64 `json:"installationID"`

	// Organization is the organization the secrets belong to.
	Organization string `json:"organization"`

	// Repository is the repository the secrets belong to.
	// +optional
	Repository string `json:"repository,omitempty"`

	// UploadURL is the upload URL of a GitHub Enterprise server.
	// +optional
	UploadURL string `json:"uploadURL,omitempty"`

	// URL is the URL of the server.
	// +kubebuilder:default="https://github.com/"
	// +optional
	URL string `json:"url,omitempty"`
}

// GithubAuth holds the auth settings of the GitHub Actions secrets provider.
type GithubAuth struct {
	// PrivateKey names the Secret key that holds the private key.
	PrivateKey SecretKeySelector `json:"privateKey"`
}
