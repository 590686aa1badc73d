package v1beta1

// PassboltProvider reads resources from Passbolt.
type PassboltProvider struct {
	// Auth says how to authenticate.
	Auth PassboltAuth `json:"auth"`

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
