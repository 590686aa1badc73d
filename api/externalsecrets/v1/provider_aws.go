package v1

// AWSServiceType names an AWS service Ferry reads from.
// +kubebuilder:validation:Enum=SecretsManager;ParameterStore;CertificateManager
type AWSServiceType string

// AWS services.
const (
	AWSServiceSecretsManager     AWSServiceType = "SecretsManager"
	AWSServiceParameterStore     AWSServiceType = "ParameterStore"
	AWSServiceCertificateManager AWSServiceType = "CertificateManager"
)

// AWSProvider configures AWS Secrets Manager, Parameter Store or Certificate Manager.
type AWSProvider struct {
	// Service to read from.
	Service AWSServiceType `json:"service"`

	// Auth says how to obtain credentials; without it, the SDK's default chain is used
	// (the pod's own IRSA, Pod Identity or instance role).
	// +optional
	Auth AWSAuth `json:"auth,omitempty"`

	// Role is an IAM role ARN assumed after the base credentials (and after AdditionalRoles).
	// +optional
	Role string `json:"role,omitempty"`

	// AdditionalRoles are IAM role ARNs assumed in order, before Role.
	// +optional
	AdditionalRoles []string `json:"additionalRoles,omitempty"`

	// Region of the service.
	Region string `json:"region"`

	// ExternalID passed when assuming Role.
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// SessionTagsPolicy: None (default), Simple or Custom.
	// +kubebuilder:validation:Enum=None;Simple;Custom
	// +kubebuilder:default="None"
	// +optional
	SessionTagsPolicy string `json:"sessionTagsPolicy,omitempty"`

	// CustomSessionTags, with SessionTagsPolicy Custom.
	// +kubebuilder:validation:XValidation:rule="!('esoNamespace' in self) && !('esoStoreName' in self) && !('esoStoreKind' in self)"
	// +optional
	CustomSessionTags map[string]string `json:"customSessionTags,omitempty"`

	// SessionTags passed when assuming Role.
	// +optional
	SessionTags []*AWSTag `json:"sessionTags,omitempty"`

	// SecretsManager holds options of Secrets Manager writes.
	// +optional
	SecretsManager *AWSSecretsManager `json:"secretsManager,omitempty"`

	// TransitiveTagKeys are session tag keys that pass to later roles in the chain.
	// +optional
	TransitiveTagKeys []string `json:"transitiveTagKeys,omitempty"`

	// Prefix is put in front of every remote key.
	// +optional
	Prefix string `json:"prefix,omitempty"`
}

// AWSSecretsManager holds options of Secrets Manager deletes (PushSecret).
type AWSSecretsManager struct {
	// +optional
	ForceDeleteWithoutRecovery bool `json:"forceDeleteWithoutRecovery,omitempty"`
	// +optional
	RecoveryWindowInDays int64 `json:"recoveryWindowInDays,omitempty"`
}

// AWSTag is a session tag.
type AWSTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
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
	// +optional
	SessionToken *SecretKeySelector `json:"sessionTokenSecretRef,omitempty"`
}

// AWSJWTAuth names the ServiceAccount whose token is exchanged for its annotated role.
type AWSJWTAuth struct {
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`
}
