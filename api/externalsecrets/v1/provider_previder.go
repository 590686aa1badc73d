package v1

// PreviderProvider reads secrets from the Previder secret vault.
type PreviderProvider struct {
	// Auth says how to authenticate.
	Auth PreviderAuth `json:"auth"`

	// BaseURI is the base URI.
	// +optional
	BaseURI string `json:"baseUri,omitempty"`
}

// PreviderAuth holds the auth settings of the Previder Secrets provider.
type PreviderAuth struct {
	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *PreviderSecretRef `json:"secretRef,omitempty"`
}

// PreviderSecretRef holds the auth.secretRef settings of the Previder Secrets provider.
type PreviderSecretRef struct {
	// AccessToken names the Secret key that holds the access token.
	AccessToken SecretKeySelector `json:"accessToken"`
}
