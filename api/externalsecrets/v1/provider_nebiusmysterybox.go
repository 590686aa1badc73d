package v1

// NebiusMysteryboxProvider reads secrets from Nebius MysteryBox.
type NebiusMysteryboxProvider struct {
	// APIDomain is the API domain.
	APIDomain string `json:"apiDomain"`

	// Auth says how to authenticate.
	Auth NebiusMysteryboxAuth `json:"auth"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CertSecretCAProvider `json:"caProvider,omitempty"`
}

// NebiusMysteryboxAuth holds the auth settings of the Nebius MysteryBox provider.
// +kubebuilder:validation:XValidation:rule="has(self.serviceAccountCredsSecretRef) || has(self.tokenSecretRef)",message="set serviceAccountCredsSecretRef or tokenSecretRef"
type NebiusMysteryboxAuth struct {
	// ServiceAccountCredsSecretRef names the Secret key that holds the service account creds.
	// +optional
	ServiceAccountCredsSecretRef *SecretKeySelector `json:"serviceAccountCredsSecretRef,omitempty"`

	// TokenSecretRef names the Secret key that holds the token.
	// +optional
	TokenSecretRef *SecretKeySelector `json:"tokenSecretRef,omitempty"`
}
