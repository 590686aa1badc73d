package v1alpha1

// AWSServiceType names an AWS service.
// +kubebuilder:validation:Enum=SecretsManager;ParameterStore
type AWSServiceType string

// AWS services.
const (
	AWSServiceSecretsManager AWSServiceType = "SecretsManager"
	AWSServiceParameterStore AWSServiceType = "ParameterStore"
)

// AWSProvider configures AWS Secrets Manager or Parameter Store. Role chains, session tags and
// prefixes came with later versions.
type AWSProvider struct {
	// Service to read from.
	Service AWSServiceType `json:"service"`

	// Auth says how to obtain credentials; without it, the SDK's default chain is used.
	// +optional
	Auth AWSAuth `json:"auth,omitempty"`

	// Role is an IAM role ARN assumed after the base credentials.
	// +optional
	Role string `json:"role,omitempty"`

	// Region of the service.
	Region string `json:"region"`
}

// AWSAuth says how to obtain AWS credentials. At most one field is set.
type AWSAuth struct {
	// SecretRef reads static access keys from a Secret.
	// +optional
	SecretRef *AWSAuthSecretRef `json:"secretRef,omitempty"`
	// JWT exchanges a ServiceAccount token for a role (IRSA).
	// +optional
	JWTAuth *AWSJWTAuth `json:"jwt,omitempty"`
}

// AWSAuthSecretRef names the Secret keys that hold static credentials.
type AWSAuthSecretRef struct {
	// +optional
	AccessKeyID SecretKeySelector `json:"accessKeyIDSecretRef,omitempty"`
	// +optional
	SecretAccessKey SecretKeySelector `json:"secretAccessKeySecretRef,omitempty"`
}

// AWSJWTAuth names the ServiceAccount whose token is exchanged for its annotated role.
type AWSJWTAuth struct {
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}
