package v1beta1

// SecretServerProvider reads secrets from Delinea Secret Server.
type SecretServerProvider struct {
	// Password holds the password settings.
	Password InlineOrSecretValue `json:"password"`

	// ServerURL is the URL of the server.
	ServerURL string `json:"serverURL"`

	// Username holds the username settings.
	Username InlineOrSecretValue `json:"username"`
}
