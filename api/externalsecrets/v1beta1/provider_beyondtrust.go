package v1beta1

// BeyondtrustProvider reads secrets from BeyondTrust Password Safe.
type BeyondtrustProvider struct {
	// Auth says how to authenticate.
	Auth BeyondtrustAuth `json:"auth"`

	// Server says where the server is.
	Server BeyondtrustServer `json:"server"`
}

// BeyondtrustAuth holds the auth settings of the BeyondTrust Password Safe provider.
type BeyondtrustAuth struct {
	// APIKey is the API key, given inline or read from a Secret key.
	// +optional
	APIKey *InlineOrSecretValue `json:"apiKey,omitempty"`

	// Certificate is the certificate, given inline or read from a Secret key.
	// +optional
	Certificate *InlineOrSecretValue `json:"certificate,omitempty"`

	// CertificateKey is the certificate key, given inline or read from a Secret key.
	// +optional
	CertificateKey *InlineOrSecretValue `json:"certificateKey,omitempty"`

	// ClientID is the client ID, given inline or read from a Secret key.
	// +optional
	ClientID *InlineOrSecretValue `json:"clientId,omitempty"`

	// ClientSecret is the client secret, given inline or read from a Secret key.
	// +optional
	ClientSecret *InlineOrSecretValue `json:"clientSecret,omitempty"`
}

// BeyondtrustServer holds the server settings of the BeyondTrust Password Safe provider.
type BeyondtrustServer struct {
	// APIURL is the URL of the API.
	APIURL string `json:"apiUrl"`

	// APIVersion is the API version.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// ClientTimeOutSeconds is the timeout of calls to the server, in seconds.
	// +optional
	ClientTimeOutSeconds int `json:"clientTimeOutSeconds,omitempty"`

	// Decrypt asks the server to return secrets decrypted.
	// +kubebuilder:default=true
	// +optional
	Decrypt *bool `json:"decrypt,omitempty"`

	// RetrievalType says what is read: secrets or managed accounts.
	// +optional
	RetrievalType string `json:"retrievalType,omitempty"`

	// Separator separates folder names in a secret's path.
	// +optional
	Separator string `json:"separator,omitempty"`

	// VerifyCA says whether the server's TLS certificate is verified.
	VerifyCA bool `json:"verifyCA"`
}
