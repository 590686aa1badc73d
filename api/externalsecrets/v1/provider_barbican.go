package v1

// BarbicanProvider reads secrets from OpenStack Barbican.
type BarbicanProvider struct {
	// Auth says how to authenticate.
	Auth BarbicanAuth `json:"auth"`

	// AuthURL is the URL of the OpenStack identity service.
	// +optional
	AuthURL string `json:"authURL,omitempty"`

	// DomainName is the OpenStack domain.
	// +optional
	DomainName string `json:"domainName,omitempty"`

	// Region is the region of the service.
	// +optional
	Region string `json:"region,omitempty"`

	// TenantName is the OpenStack project (tenant).
	// +optional
	TenantName string `json:"tenantName,omitempty"`
}

// BarbicanAuth holds the auth settings of the OpenStack Barbican provider.
type BarbicanAuth struct {
	// Password holds the password settings.
	Password BarbicanPassword `json:"password"`

	// Username holds the username settings.
	Username BarbicanUsername `json:"username"`
}

// BarbicanPassword holds the auth.password settings of the OpenStack Barbican provider.
type BarbicanPassword struct {
	// SecretRef names the Secret key that holds the value.
	SecretRef SecretKeySelector `json:"secretRef"`
}

// BarbicanUsername holds the auth.username settings of the OpenStack Barbican provider.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type BarbicanUsername struct {
	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Value is given inline.
	// +optional
	Value string `json:"value,omitempty"`
}
