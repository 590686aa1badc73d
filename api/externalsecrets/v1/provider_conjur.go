package v1

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
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type ConjurAuth struct {
	// APIKey holds the API key settings.
	// +optional
	APIKey *ConjurAPIKey `json:"apikey,omitempty"`

	// Cert holds the cert settings.
	// +optional
	Cert *ConjurCert `json:"cert,omitempty"`

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

// ConjurCert holds the auth.cert settings of the CyberArk Conjur provider.
type ConjurCert struct {
	// Account is the Conjur account.
	Account string `json:"account"`

	// ClientCertRef names the Secret key that holds the client cert.
	ClientCertRef SecretKeySelector `json:"clientCertRef"`

	// ClientKeyRef names the Secret key that holds the client key.
	ClientKeyRef SecretKeySelector `json:"clientKeyRef"`

	// HostID is the Conjur host that the certificate authenticates as.
	// +optional
	HostID string `json:"hostId,omitempty"`

	// ServiceID is the ID of the Conjur certificate authenticator.
	ServiceID string `json:"serviceID"`
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
