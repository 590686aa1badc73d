package v1beta1

// SenhaseguraProvider reads secrets from senhasegura DevOps Secrets Management.
type SenhaseguraProvider struct {
	// Auth says how to authenticate.
	Auth SenhaseguraAuth `json:"auth"`

	// IgnoreSSLCertificate skips the verification of the server's TLS certificate.
	// +kubebuilder:default=false
	// +optional
	IgnoreSSLCertificate bool `json:"ignoreSslCertificate,omitempty"`

	// Module is the senhasegura module to read from.
	Module string `json:"module"`

	// URL is the URL of the server.
	URL string `json:"url"`
}

// SenhaseguraAuth holds the auth settings of the senhasegura DevOps Secrets Management provider.
type SenhaseguraAuth struct {
	// ClientID is the client ID.
	ClientID string `json:"clientId"`

	// ClientSecretSecretRef names the Secret key that holds the client secret.
	ClientSecretSecretRef SecretKeySelector `json:"clientSecretSecretRef"`
}
