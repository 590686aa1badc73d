package v1beta1

// FortanixProvider reads security objects from Fortanix Data Security Manager.
type FortanixProvider struct {
	// APIKey reads the API key from a Secret key.
	// +optional
	APIKey *SecretKeySource `json:"apiKey,omitempty"`

	// APIURL is the URL of the API.
	// +optional
	APIURL string `json:"apiUrl,omitempty"`
}
