package v1beta1

// SecretServerProvider reads secrets from Delinea Secret Server.
type SecretServerProvider struct {
	// Password is the password, given inline or read from a Secret key.
	Password InlineOrSecretValue `json:"password"`

	// ServerURL is the URL of the server.
	ServerURL string `json:"serverURL"`

	// Username is the username, given inline or read from a Secret key.
	Username InlineOrSecretValue `json:"username"`
}
