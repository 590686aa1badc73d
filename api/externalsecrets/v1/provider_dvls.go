package v1

// DVLSProvider reads entries from Devolutions Server.
type DVLSProvider struct {
	// Auth says how to authenticate.
	Auth DVLSAuth `json:"auth"`

	// Insecure skips the verification of the server's TLS certificate.
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// ServerURL is the URL of the server.
	ServerURL string `json:"serverUrl"`

	// Vault is the vault the secrets belong to.
	// +optional
	Vault string `json:"vault,omitempty"`
}

// DVLSAuth holds the auth settings of the Devolutions Server provider.
type DVLSAuth struct {
	// SecretRef reads the credentials from Secrets.
	SecretRef DVLSSecretRef `json:"secretRef"`
}

// DVLSSecretRef holds the auth.secretRef settings of the Devolutions Server provider.
type DVLSSecretRef struct {
	// AppID names the Secret key that holds the app ID.
	AppID SecretKeySelector `json:"appId"`

	// AppSecret names the Secret key that holds the app secret.
	AppSecret SecretKeySelector `json:"appSecret"`
}
