package v1

// InfisicalProvider reads secrets from Infisical.
type InfisicalProvider struct {
	// Auth says how to authenticate.
	Auth InfisicalAuth `json:"auth"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// HostAPI is the URL of the Infisical API.
	// +kubebuilder:default="https://app.infisical.com/api"
	// +optional
	HostAPI string `json:"hostAPI,omitempty"`

	// SecretsScope holds the secrets scope settings.
	SecretsScope InfisicalSecretsScope `json:"secretsScope"`
}

// InfisicalAuth holds the auth settings of the Infisical provider.
type InfisicalAuth struct {
	// AWSAuthCredentials holds the AWS auth credentials settings.
	// +optional
	AWSAuthCredentials *InfisicalAWSAuthCredentials `json:"awsAuthCredentials,omitempty"`

	// AzureAuthCredentials holds the azure auth credentials settings.
	// +optional
	AzureAuthCredentials *InfisicalAzureAuthCredentials `json:"azureAuthCredentials,omitempty"`

	// GCPIAMAuthCredentials holds the GCP IAM auth credentials settings.
	// +optional
	GCPIAMAuthCredentials *InfisicalGCPIAMAuthCredentials `json:"gcpIamAuthCredentials,omitempty"`

	// GCPIDTokenAuthCredentials holds the GCP ID token auth credentials settings.
	// +optional
	GCPIDTokenAuthCredentials *InfisicalAWSAuthCredentials `json:"gcpIdTokenAuthCredentials,omitempty"`

	// JWTAuthCredentials holds the JWT auth credentials settings.
	// +optional
	JWTAuthCredentials *InfisicalJWTAuthCredentials `json:"jwtAuthCredentials,omitempty"`

	// KubernetesAuthCredentials holds the kubernetes auth credentials settings.
	// +optional
	KubernetesAuthCredentials *InfisicalKubernetesAuthCredentials `json:"kubernetesAuthCredentials,omitempty"`

	// LDAPAuthCredentials holds the LDAP auth credentials settings.
	// +optional
	LDAPAuthCredentials *InfisicalLDAPAuthCredentials `json:"ldapAuthCredentials,omitempty"`

	// OCIAuthCredentials holds the OCI auth credentials settings.
	// +optional
	OCIAuthCredentials *InfisicalOCIAuthCredentials `json:"ociAuthCredentials,omitempty"`

	// TokenAuthCredentials holds the token auth credentials settings.
	// +optional
	TokenAuthCredentials *InfisicalTokenAuthCredentials `json:"tokenAuthCredentials,omitempty"`

	// UniversalAuthCredentials holds the universal auth credentials settings.
	// +optional
	UniversalAuthCredentials *InfisicalUniversalAuthCredentials `json:"universalAuthCredentials,omitempty"`
}

// InfisicalSecretsScope holds the secretsScope settings of the Infisical provider.
type InfisicalSecretsScope struct {
	// EnvironmentSlug is the environment slug.
	EnvironmentSlug string `json:"environmentSlug"`

	// ExpandSecretReferences expands references to other secrets in values.
	// +kubebuilder:default=true
	// +optional
	ExpandSecretReferences *bool `json:"expandSecretReferences,omitempty"`

	// OrganizationSlug is the organization slug.
	// +optional
	OrganizationSlug string `json:"organizationSlug,omitempty"`

	// ProjectSlug is the project slug.
	ProjectSlug string `json:"projectSlug"`

	// Recursive also reads the secrets of sub-paths.
	// +kubebuilder:default=false
	// +optional
	Recursive bool `json:"recursive,omitempty"`

	// SecretsPath is the secrets path.
	// +kubebuilder:default="/"
	// +optional
	SecretsPath string `json:"secretsPath,omitempty"`
}

// InfisicalAWSAuthCredentials holds the auth.awsAuthCredentials settings of the Infisical provider.
type InfisicalAWSAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`
}

// InfisicalAzureAuthCredentials holds the auth.azureAuthCredentials settings of the Infisical provider.
type InfisicalAzureAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// Resource names the Secret key that holds the resource.
	// +optional
	Resource *SecretKeySelector `json:"resource,omitempty"`
}

// InfisicalGCPIAMAuthCredentials holds the auth.gcpIamAuthCredentials settings of the Infisical provider.
type InfisicalGCPIAMAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// ServiceAccountKeyFilePath names the Secret key that holds the service account key file path.
	ServiceAccountKeyFilePath SecretKeySelector `json:"serviceAccountKeyFilePath"`
}

// InfisicalJWTAuthCredentials holds the auth.jwtAuthCredentials settings of the Infisical provider.
type InfisicalJWTAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// JWT names the Secret key that holds the JWT.
	JWT SecretKeySelector `json:"jwt"`
}

// InfisicalKubernetesAuthCredentials holds the auth.kubernetesAuthCredentials settings of the Infisical provider.
type InfisicalKubernetesAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// ServiceAccountTokenPath names the Secret key that holds the service account token path.
	// +optional
	ServiceAccountTokenPath *SecretKeySelector `json:"serviceAccountTokenPath,omitempty"`
}

// InfisicalLDAPAuthCredentials holds the auth.ldapAuthCredentials settings of the Infisical provider.
type InfisicalLDAPAuthCredentials struct {
	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// LDAPPassword names the Secret key that holds the LDAP password.
	LDAPPassword SecretKeySelector `json:"ldapPassword"`

	// LDAPUsername names the Secret key that holds the LDAP username.
	LDAPUsername SecretKeySelector `json:"ldapUsername"`
}

// InfisicalOCIAuthCredentials holds the auth.ociAuthCredentials settings of the Infisical provider.
type InfisicalOCIAuthCredentials struct {
	// Fingerprint names the Secret key that holds the fingerprint.
	Fingerprint SecretKeySelector `json:"fingerprint"`

	// IdentityID names the Secret key that holds the identity ID.
	IdentityID SecretKeySelector `json:"identityId"`

	// PrivateKey names the Secret key that holds the private key.
	PrivateKey SecretKeySelector `json:"privateKey"`

	// PrivateKeyPassphrase names the Secret key that holds the private key passphrase.
	// +optional
	PrivateKeyPassphrase *SecretKeySelector `json:"privateKeyPassphrase,omitempty"`

	// Region is the region of the service.
	Region SecretKeySelector `json:"region"`

	// TenancyID names the Secret key that holds the tenancy ID.
	TenancyID SecretKeySelector `json:"tenancyId"`

	// UserID names the Secret key that holds the user ID.
	UserID SecretKeySelector `json:"userId"`
}

// InfisicalTokenAuthCredentials holds the auth.tokenAuthCredentials settings of the Infisical provider.
type InfisicalTokenAuthCredentials struct {
	// AccessToken names the Secret key that holds the access token.
	AccessToken SecretKeySelector `json:"accessToken"`
}

// InfisicalUniversalAuthCredentials holds the auth.universalAuthCredentials settings of the Infisical provider.
type InfisicalUniversalAuthCredentials struct {
	// ClientID names the Secret key that holds the client ID.
	ClientID SecretKeySelector `json:"clientId"`

	// ClientSecret names the Secret key that holds the client secret.
	ClientSecret SecretKeySelector `json:"clientSecret"`
}
