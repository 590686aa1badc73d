package v1beta1

// AlibabaProvider reads secrets from Alibaba Cloud KMS secrets manager.
type AlibabaProvider struct {
	// Auth says how to authenticate.
	Auth AlibabaAuth `json:"auth"`

	// RegionID is the region ID.
	RegionID string `json:"regionID"`
}

// AlibabaAuth holds the auth settings of the Alibaba Cloud KMS provider.
type AlibabaAuth struct {
	// RRSA holds the RRSA settings.
	// +optional
	RRSA *AlibabaRRSA `json:"rrsa,omitempty"`

	// SecretRef reads the credentials from Secrets.
	// +optional
	SecretRef *AlibabaSecretRef `json:"secretRef,omitempty"`
}

// AlibabaRRSA holds the auth.rrsa settings of the Alibaba Cloud KMS provider.
type AlibabaRRSA struct {
	// OIDCProviderARN is the OIDC provider ARN.
	OIDCProviderARN string `json:"oidcProviderArn"`

	// OIDCTokenFilePath is the OIDC token file path.
	OIDCTokenFilePath string `json:"oidcTokenFilePath"`

	// RoleARN is the role ARN.
	RoleARN string `json:"roleArn"`

	// SessionName is the session name.
	SessionName string `json:"sessionName"`
}

// AlibabaSecretRef holds the auth.secretRef settings of the Alibaba Cloud KMS provider.
type AlibabaSecretRef struct {
	// AccessKeyIDSecretRef names the Secret key that holds the access key ID.
	AccessKeyIDSecretRef SecretKeySelector `json:"accessKeyIDSecretRef"`

	// AccessKeySecretSecretRef names the Secret key that holds the access key secret.
	AccessKeySecretSecretRef SecretKeySelector `json:"accessKeySecretSecretRef"`
}
