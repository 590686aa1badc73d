package v1beta1

// CloudruSMProvider reads secrets from Cloud.ru Secret Manager.
type CloudruSMProvider struct {
	// Auth says how to authenticate.
	Auth CloudruSMAuth `json:"auth"`

	// ProjectID is the ID of the project the secrets belong to.
	// +optional
	ProjectID string `json:"projectID,omitempty"`
}

// CloudruSMAuth holds the auth settings of the Cloud.ru Secret Manager provider.
type CloudruSMAuth struct {
	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *CloudruSMSecretRef `json:"secretRef,omitempty"`
}

// CloudruSMSecretRef holds the auth.secretRef settings of the Cloud.ru Secret Manager provider.
type CloudruSMSecretRef struct {
	// AccessKeyIDSecretRef names the Secret key that holds the access key ID.
	AccessKeyIDSecretRef SecretKeySelector `json:"accessKeyIDSecretRef"`

	// AccessKeySecretSecretRef names the Secret key that holds the access key secret.
	AccessKeySecretSecretRef SecretKeySelector `json:"accessKeySecretSecretRef"`
}
