package v1

// BeyondtrustWorkloadCredentialsProvider reads secrets from BeyondTrust Workload Credentials.
type BeyondtrustWorkloadCredentialsProvider struct {
	// Auth says how to authenticate.
	Auth BeyondtrustWorkloadCredentialsAuth `json:"auth"`

	// CABundle holds PEM-encoded CA certificates that verify the server.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates that verify the server from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`

	// FolderPath is the folder path.
	// +optional
	FolderPath string `json:"folderPath,omitempty"`

	// Server says where the server is.
	Server BeyondtrustWorkloadCredentialsServer `json:"server"`
}

// BeyondtrustWorkloadCredentialsAuth holds the auth settings of the BeyondTrust Workload Credentials provider.
type BeyondtrustWorkloadCredentialsAuth struct {
	// APIKey holds the API key settings.
	APIKey BeyondtrustWorkloadCredentialsAPIKey `json:"apikey"`
}

// BeyondtrustWorkloadCredentialsServer holds the server settings of the BeyondTrust Workload Credentials provider.
type BeyondtrustWorkloadCredentialsServer struct {
	// APIURL is the URL of the API.
	APIURL string `json:"apiUrl"`

	// SiteID is the site ID.
	SiteID string `json:"siteId"`
}

// BeyondtrustWorkloadCredentialsAPIKey holds the auth.apikey settings of the BeyondTrust Workload Credentials provider.
type BeyondtrustWorkloadCredentialsAPIKey struct {
	// Token names the Secret key that holds the token.
	Token SecretKeySelector `json:"token"`
}
