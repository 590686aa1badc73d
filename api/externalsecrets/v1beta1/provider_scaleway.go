package v1beta1

// ScalewayProvider reads secrets from Scaleway Secret Manager.
type ScalewayProvider struct {
	// AccessKey is the access key, given inline or read from a Secret key.
	AccessKey InlineOrSecretValue `json:"accessKey"`

	// APIURL is the URL of the API.
	// +optional
	APIURL string `json:"apiUrl,omitempty"`

	// ProjectID is the ID of the project the secrets belong to.
	ProjectID string `json:"projectId"`

	// Region is the region of the service.
	Region string `json:"region"`

	// SecretKey is the secret key, given inline or read from a Secret key.
	SecretKey InlineOrSecretValue `json:"secretKey"`
}
