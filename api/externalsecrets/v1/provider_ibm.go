package v1

// IBMProvider reads secrets from IBM Cloud Secrets Manager.
type IBMProvider struct {
	// Auth says how to authenticate.
	Auth IBMAuth `json:"auth"`

	// ServiceURL is the URL of the Secrets Manager instance.
	// +optional
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// IBMAuth holds the auth settings of the IBM Cloud Secrets Manager provider.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type IBMAuth struct {
	// ContainerAuth holds the container auth settings.
	// +optional
	ContainerAuth *IBMContainerAuth `json:"containerAuth,omitempty"`

	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *IBMSecretRef `json:"secretRef,omitempty"`
}

// IBMContainerAuth holds the auth.containerAuth settings of the IBM Cloud Secrets Manager provider.
type IBMContainerAuth struct {
	// IAMEndpoint is the URL of the IAM token service.
	// +optional
	IAMEndpoint string `json:"iamEndpoint,omitempty"`

	// Profile is the IAM trusted profile.
	Profile string `json:"profile"`

	// TokenLocation is the file the compute resource token is read from.
	// +optional
	TokenLocation string `json:"tokenLocation,omitempty"`
}

// IBMSecretRef holds the auth.secretRef settings of the IBM Cloud Secrets Manager provider.
type IBMSecretRef struct {
	// IAMEndpoint is the URL of the IAM token service.
	// +optional
	IAMEndpoint string `json:"iamEndpoint,omitempty"`

	// SecretAPIKeySecretRef names the Secret key that holds the secret API key.
	// +optional
	SecretAPIKeySecretRef *SecretKeySelector `json:"secretApiKeySecretRef,omitempty"`
}
