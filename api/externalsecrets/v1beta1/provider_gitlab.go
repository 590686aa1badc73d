package v1beta1

// GitlabProvider reads GitLab CI/CD variables of a project or group.
type GitlabProvider struct {
	// Auth says how to authenticate.
	Auth GitlabAuth `json:"auth"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// Environment is the environment the secrets belong to.
	// +optional
	Environment string `json:"environment,omitempty"`

	// GroupIDs lists the IDs of the groups whose variables are read.
	// +optional
	GroupIDs []string `json:"groupIDs,omitempty"`

	// InheritFromGroups also reads the variables of the project's parent groups.
	// +optional
	InheritFromGroups bool `json:"inheritFromGroups,omitempty"`

	// ProjectID is the ID of the project the secrets belong to.
	// +optional
	ProjectID string `json:"projectID,omitempty"`

	// URL is the URL of the server.
	// +optional
	URL string `json:"url,omitempty"`
}

// GitlabAuth holds the auth settings of the GitLab CI/CD variables provider.
type GitlabAuth struct {
	// SecretRef holds the secret ref settings.
	SecretRef GitlabSecretRef `json:"SecretRef"`
}

// GitlabSecretRef holds the auth.SecretRef settings of the GitLab CI/CD variables provider.
type GitlabSecretRef struct {
	// AccessToken names the Secret key that holds the access token.
	// +optional
	AccessToken *SecretKeySelector `json:"accessToken,omitempty"`
}
