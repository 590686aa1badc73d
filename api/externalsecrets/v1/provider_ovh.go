package v1

// OVHProvider reads secrets from OVHcloud Secret Manager (OKMS).
type OVHProvider struct {
	// Auth says how to authenticate.
	Auth OVHAuth `json:"auth"`

	// CasRequired requires check-and-set on every write.
	// +optional
	CasRequired bool `json:"casRequired,omitempty"`

	// OKMSTimeout is the timeout of calls to OKMS, in seconds.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +optional
	OKMSTimeout int32 `json:"okmsTimeout,omitempty"`

	// OKMSID is the ID of the OKMS domain.
	OKMSID string `json:"okmsid"`

	// Server is the URL of the server.
	Server string `json:"server"`
}

// OVHAuth holds the auth settings of the OVHcloud Secret Manager provider.
type OVHAuth struct {
	// MTLS holds the MTLS settings.
	// +optional
	MTLS *OVHMTLS `json:"mtls,omitempty"`

	// Token holds the token settings.
	// +optional
	Token *OVHToken `json:"token,omitempty"`
}

// OVHMTLS holds the auth.mtls settings of the OVHcloud Secret Manager provider.
type OVHMTLS struct {
	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// CertSecretRef names the Secret key that holds the cert.
	CertSecretRef SecretKeySelector `json:"certSecretRef"`

	// KeySecretRef names the Secret key that holds the key.
	KeySecretRef SecretKeySelector `json:"keySecretRef"`
}

// OVHToken holds the auth.token settings of the OVHcloud Secret Manager provider.
type OVHToken struct {
	// TokenSecretRef names the Secret key that holds the token.
	TokenSecretRef SecretKeySelector `json:"tokenSecretRef"`
}
