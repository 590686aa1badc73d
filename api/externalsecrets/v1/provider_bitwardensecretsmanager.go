package v1

// BitwardenSecretsManagerProvider reads secrets from Bitwarden Secrets Manager through the Bitwarden SDK server.
type BitwardenSecretsManagerProvider struct {
	// APIURL is the URL of the API.
	// +optional
	APIURL string `json:"apiURL,omitempty"`

	// Auth says how to authenticate.
	Auth BitwardenSecretsManagerAuth `json:"auth"`

	// BitwardenServerSDKURL is the URL of the Bitwarden SDK server.
	// +optional
	BitwardenServerSDKURL string `json:"bitwardenServerSDKURL,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle string `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// IdentityURL is the identity URL.
	// +optional
	IdentityURL string `json:"identityURL,omitempty"`

	// OrganizationID is the organization ID.
	OrganizationID string `json:"organizationID"`

	// ProjectID is the ID of the project the secrets belong to.
	ProjectID string `json:"projectID"`
}

// BitwardenSecretsManagerAuth holds the auth settings of the Bitwarden Secrets Manager provider.
type BitwardenSecretsManagerAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef BitwardenSecretsManagerSecretRef `json:"secretRef"`
}

// BitwardenSecretsManagerSecretRef holds the auth.secretRef settings of the Bitwarden Secrets Manager provider.
type BitwardenSecretsManagerSecretRef struct {
	// Credentials names the Secret key that holds the credentials.
	Credentials SecretKeySelector `json:"credentials"`
}
