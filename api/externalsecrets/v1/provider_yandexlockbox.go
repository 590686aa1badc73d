package v1

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

	// Fetching holds the fetching settings.
	// +optional
	Fetching *YandexFetching `json:"fetching,omitempty"`
}

// The types below are shared by the Yandex Lockbox and Yandex Certificate Manager providers.

// YandexAuth says how to authenticate to Yandex Cloud.
type YandexAuth struct {
	// AuthorizedKeySecretRef names the Secret key that holds the authorized key.
	// +optional
	AuthorizedKeySecretRef *SecretKeySelector `json:"authorizedKeySecretRef,omitempty"`
}

// YandexFetching says how secrets are looked up: by ID or by name. Exactly one field is set.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type YandexFetching struct {
	// ByID holds the by ID settings.
	// +optional
	ByID *YandexFetchByID `json:"byID,omitempty"`

	// ByName holds the by name settings.
	// +optional
	ByName *YandexFetchByName `json:"byName,omitempty"`
}

// YandexFetchByID looks secrets up by their ID.
type YandexFetchByID struct{}

// YandexFetchByName looks secrets up by their name within one folder.
type YandexFetchByName struct {
	// FolderID is the folder ID.
	FolderID string `json:"folderID"`
}
