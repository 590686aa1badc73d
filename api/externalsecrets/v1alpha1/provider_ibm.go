package v1alpha1

// IBMProvider configures IBM Cloud Secrets Manager. v1 adds container auth (a trusted
// profile) and an IAM endpoint, and makes the API key optional.
type IBMProvider struct {
	// Auth says how to authenticate.
	Auth IBMAuth `json:"auth"`

	// ServiceURL is the endpoint of the Secrets Manager instance.
	// +optional
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// IBMAuth authenticates with an IAM API key.
type IBMAuth struct {
	// SecretRef names the Secret key of the API key.
	SecretRef IBMAuthSecretRef `json:"secretRef"`
}

// IBMAuthSecretRef names the Secret key that holds an IAM API key.
type IBMAuthSecretRef struct {
	// SecretAPIKey is the IAM API key.
	// +optional
	SecretAPIKey *SecretKeySelector `json:"secretApiKeySecretRef,omitempty"`
}
