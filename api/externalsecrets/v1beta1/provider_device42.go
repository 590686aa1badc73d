package v1beta1

// Device42Provider reads passwords from Device42.
type Device42Provider struct {
	// Auth says how to authenticate.
	Auth Device42Auth `json:"auth"`

	// Host is the host name of the server.
	Host string `json:"host"`
}

// Device42Auth holds the auth settings of the Device42 provider.
type Device42Auth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef Device42SecretRef `json:"secretRef"`
}

// Device42SecretRef holds the auth.secretRef settings of the Device42 provider.
type Device42SecretRef struct {
	// Credentials names the Secret key that holds the credentials.
	// +optional
	Credentials *SecretKeySelector `json:"credentials,omitempty"`
}
