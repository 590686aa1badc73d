package v1

// YandexCertificateManagerProvider reads certificates from Yandex Certificate Manager.
type YandexCertificateManagerProvider struct {
	// APIEndpoint is the API endpoint.
	// +optional
	APIEndpoint string `json:"apiEndpoint,omitempty"`

	// Auth says how to authenticate.
	Auth YandexAuth `json:"auth"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CertSecretCAProvider `json:"caProvider,omitempty"`

	// Fetching holds the fetching settings.
	// +optional
	Fetching *YandexFetching `json:"fetching,omitempty"`
}
