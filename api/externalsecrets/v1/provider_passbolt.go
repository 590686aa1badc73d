package v1

// PassboltProvider reads resources from Passbolt.
type PassboltProvider struct {
	// Auth says how to authenticate.
	Auth PassboltAuth `json:"auth"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// Host is the host name of the server.
	Host string `json:"host"`
}

// PassboltAuth holds the auth settings of the Passbolt provider.
type PassboltAuth struct {
	// PasswordSecretRef names the Secret key that holds the password.
	PasswordSecretRef SecretKeySelector `json:"passwordSecretRef"`

	// PrivateKeySecretRef names the Secret key that holds the private key.
	PrivateKeySecretRef SecretKeySelector `json:"privateKeySecretRef"`
}
