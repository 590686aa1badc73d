package v1beta1

// ConjurProvider reads secrets from CyberArk Conjur.
type ConjurProvider struct {
	// Auth says how to authenticate.
	Auth ConjurAuth `json:"auth"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle string `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// URL is the URL of the server.
	URL string `json:"url"`
}

// ConjurAuth holds the auth settings of the CyberArk Conjur provider.
type ConjurAuth struct {
	// APIKey holds the API key settings.
	// +optional
	APIKey *ConjurAPIKey `json:"apikey,omitempty"`

	// JWT holds the JWT settings.
	// +optional
	JWT *ConjurJWT `json:"jwt,omitempty"`
}

// ConjurAPIKey holds the auth.apikey settings of the CyberArk Conjur provider.
type ConjurAPIKey struct {
	// Account is the Conjur account.
	Account string `json:"account"`

	// APIKeyRef names the Secret key that holds the API key.
	APIKeyRef SecretKeySelector `json:"apiKeyRef"`

	// UserRef names the Secret key that holds the user.
	UserRef SecretKeySelector `json:"userRef"`
}

// ConjurJWT holds the auth.jwt settings of the CyberArk Conjur provider.
type ConjurJWT struct {
	// Account is the Conjur account.
	Account string `json:"account"`

	// HostID is the Conjur host that the JWT authenticates as.
	// +optional
	HostID string `json:"hostId,omitempty"`

	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// ServiceAccountRef names the ServiceAccount whose token authenticates.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// ServiceID is the ID of the Conjur JWT authenticator.
	ServiceID string `json:"serviceID"`
}
