package v1

// SecretServerProvider reads secrets from Delinea Secret Server.
// +kubebuilder:validation:XValidation:rule="has(self.token) || (has(self.username) && has(self.password))",message="set token, or username and password"
type SecretServerProvider struct {
	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// Domain is the domain.
	// +optional
	Domain string `json:"domain,omitempty"`

	// Password holds the password settings.
	// +optional
	Password *SecretServerCredential `json:"password,omitempty"`

	// ServerURL is the URL of the server.
	ServerURL string `json:"serverURL"`

	// Token holds the token settings.
	// +optional
	Token *SecretServerCredential `json:"token,omitempty"`

	// Username holds the username settings.
	// +optional
	Username *SecretServerCredential `json:"username,omitempty"`
}

// SecretServerCredential holds the password settings of the Delinea Secret Server provider.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.secretRef)",message="set exactly one of value and secretRef"
type SecretServerCredential struct {
	// SecretRef names the Secret key that holds the value.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Value is given inline.
	// +kubebuilder:validation:MinLength=1
	// +optional
	Value string `json:"value,omitempty"`
}
