package v1beta1

// YandexLockboxProvider reads secrets from Yandex Lockbox.
type YandexLockboxProvider struct {
	// APIEndpoint is the API endpoint.
	// +optional
	APIEndpoint string `json:"apiEndpoint,omitempty"`

	// Auth says how to authenticate.
	Auth YandexAuth `json:"auth"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CertSecretCAProvider `json:"caProvider,omitempty"`
}

// The types below are shared by the Yandex Lockbox and Yandex Certificate Manager providers.

// YandexAuth says how to authenticate to Yandex Cloud.
type YandexAuth struct {
	// AuthorizedKeySecretRef names the Secret key that holds the authorized key.
	// +optional
	AuthorizedKeySecretRef *SecretKeySelector `json:"authorizedKeySecretRef,omitempty"`
}
