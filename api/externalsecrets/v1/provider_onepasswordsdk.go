package v1

// OnePasswordSDKProvider reads items from 1Password through its SDK and a service account.
// +kubebuilder:validation:XValidation:rule="[has(self.vault),has(self.environment)].filter(x,x==true).size() <= 1",message="set at most one of vault and environment"
type OnePasswordSDKProvider struct {
	// Auth says how to authenticate.
	Auth OnePasswordSDKAuth `json:"auth"`

	// Cache caches items read from 1Password.
	// +optional
	Cache *OnePasswordSDKCache `json:"cache,omitempty"`

	// Environment is the environment the secrets belong to.
	// +optional
	Environment string `json:"environment,omitempty"`

	// IntegrationInfo names this integration to 1Password.
	// +optional
	IntegrationInfo *OnePasswordSDKIntegrationInfo `json:"integrationInfo,omitempty"`

	// Vault is the vault the secrets belong to.
	// +optional
	Vault string `json:"vault,omitempty"`
}

// OnePasswordSDKAuth holds the auth settings of the 1Password through its SDK provider.
type OnePasswordSDKAuth struct {
	// ServiceAccountSecretRef names the Secret key that holds the service account.
	ServiceAccountSecretRef SecretKeySelector `json:"serviceAccountSecretRef"`
}

// OnePasswordSDKCache holds the cache settings of the 1Password through its SDK provider.
type OnePasswordSDKCache struct {
	// MaxSize is the most items the cache holds.
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxSize int `json:"maxSize,omitempty"`

	// TTL is how long a cached item is served.
	// +kubebuilder:default="5m"
	// +optional
	TTL string `json:"ttl,omitempty"`
}

// OnePasswordSDKIntegrationInfo holds the integrationInfo settings of the 1Password through its SDK provider.
type OnePasswordSDKIntegrationInfo struct {
	// Name is the integration's name.
	// +kubebuilder:default="1Password SDK"
	// +optional
	Name string `json:"name,omitempty"`

	// Version is the integration's version.
	// +kubebuilder:default="v1.0.0"
	// +optional
	Version string `json:"version,omitempty"`
}
