package v1

// ScalewayProvider reads secrets from Scaleway Secret Manager.
type ScalewayProvider struct {
	// AccessKey holds the access key settings.
	AccessKey InlineOrSecretValue `json:"accessKey"`

	// APIURL is the URL of the API.
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// ProjectID is the ID of the project the secrets belong to.
	ProjectID string `json:"projectId"`

	// Region is the region of the service.
	Region string `json:"region"`

	// SecretKey holds the secret key settings.
	SecretKey InlineOrSecretValue `json:"secretKey"`
}
