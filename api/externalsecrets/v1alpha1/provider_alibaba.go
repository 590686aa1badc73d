package v1alpha1

// AlibabaProvider configures Alibaba Cloud KMS secrets manager. ESO removed the provider
// before v1, so Ferry keeps it in the conversion annotation of the stored v1 object and
// cannot read secrets through it.
type AlibabaProvider struct {
	// Auth says how to authenticate.
	Auth AlibabaAuth `json:"auth"`

	// RegionID is the region of the secrets, e.g. "cn-hangzhou".
	RegionID string `json:"regionID"`
}

// AlibabaAuth holds one way to authenticate to Alibaba Cloud.
type AlibabaAuth struct {
	// SecretRef reads an access key pair from Secrets.
	// +optional
	SecretRef *AlibabaAuthSecretRef `json:"secretRef,omitempty"`

	// RRSA exchanges an OIDC token for a role's credentials (RAM Roles for Service Accounts).
	// +optional
	RRSA *AlibabaRRSAAuth `json:"rrsa,omitempty"`
}

// AlibabaAuthSecretRef names the Secret keys of an access key pair.
type AlibabaAuthSecretRef struct {
	// AccessKeyID is the access key's id.
	AccessKeyID SecretKeySelector `json:"accessKeyIDSecretRef"`

	// AccessKeySecret is the access key's secret.
	AccessKeySecret SecretKeySelector `json:"accessKeySecretSecretRef"`
}

// AlibabaRRSAAuth says which OIDC token to exchange for which role.
type AlibabaRRSAAuth struct {
	// OIDCProviderARN is the ARN of the cluster's OIDC provider.
	OIDCProviderARN string `json:"oidcProviderArn"`

	// OIDCTokenFilePath is where the projected token is mounted.
	OIDCTokenFilePath string `json:"oidcTokenFilePath"`

	// RoleARN is the ARN of the role to assume.
	RoleARN string `json:"roleArn"`

	// SessionName names the role session.
	SessionName string `json:"sessionName"`
}
