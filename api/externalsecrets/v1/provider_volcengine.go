package v1

// VolcengineProvider reads secrets from Volcengine KMS secrets manager.
type VolcengineProvider struct {
	// Auth says how to authenticate.
	// +optional
	Auth *VolcengineAuth `json:"auth,omitempty"`

	// Region is the region of the service.
	Region string `json:"region"`
}

// VolcengineAuth holds the auth settings of the Volcengine KMS provider.
type VolcengineAuth struct {
	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *VolcengineSecretRef `json:"secretRef,omitempty"`
}

// VolcengineSecretRef holds the auth.secretRef settings of the Volcengine KMS provider.
type VolcengineSecretRef struct {
	// AccessKeyID names the Secret key that holds the access key ID.
	AccessKeyID SecretKeySelector `json:"accessKeyID"`

	// SecretAccessKey names the Secret key that holds the secret access key.
	SecretAccessKey SecretKeySelector `json:"secretAccessKey"`

	// Token names the Secret key that holds the token.
	// +optional
	Token *SecretKeySelector `json:"token,omitempty"`
}
