package v1alpha1

// YandexLockboxProvider configures Yandex Cloud Lockbox. v1 adds fetching secrets by name.
type YandexLockboxProvider struct {
	// APIEndpoint is the Yandex Cloud API address, e.g. "api.cloud.yandex.net:443".
	// +optional
	APIEndpoint string `json:"apiEndpoint,omitempty"`

	// Auth says how to authenticate.
	Auth YandexLockboxAuth `json:"auth"`

	// CAProvider reads the CA certificate that verifies the API server from a Secret.
	// +optional
	CAProvider *YandexLockboxCAProvider `json:"caProvider,omitempty"`
}

// YandexLockboxAuth authenticates with a service account's authorized key.
type YandexLockboxAuth struct {
	// AuthorizedKey names the Secret key that holds the authorized key, as JSON.
	// +optional
	AuthorizedKey *SecretKeySelector `json:"authorizedKeySecretRef,omitempty"`
}

// YandexLockboxCAProvider names the Secret key of a PEM-encoded CA certificate.
type YandexLockboxCAProvider struct {
	// Certificate is the CA certificate.
	// +optional
	Certificate *SecretKeySelector `json:"certSecretRef,omitempty"`
}
