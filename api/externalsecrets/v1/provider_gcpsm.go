package v1

// GCPSMProvider configures Google Cloud Secret Manager.
type GCPSMProvider struct {
	// Auth says how to authenticate; without it, the pod's default credentials are used.
	// +optional
	Auth GCPSMAuth `json:"auth,omitempty"`

	// ProjectID of the project that holds the secrets.
	// +optional
	ProjectID string `json:"projectID,omitempty"`

	// Location of regional secrets, e.g. "europe-west1"; empty means global secrets.
	// +optional
	Location string `json:"location,omitempty"`

	// SecretVersionSelectionPolicy says what to do when the latest version cannot be read:
	// LatestOrFail (the only policy Ferry serves) fails the read.
	// +kubebuilder:default=LatestOrFail
	// +optional
	SecretVersionSelectionPolicy SecretVersionSelectionPolicy `json:"secretVersionSelectionPolicy,omitempty"`
}

// SecretVersionSelectionPolicy is how a GCP read chooses a version when none is asked for.
type SecretVersionSelectionPolicy string

// Version selection policies.
const (
	// SecretVersionSelectionPolicyLatestOrFail reads "latest" and fails when it is not enabled.
	SecretVersionSelectionPolicyLatestOrFail SecretVersionSelectionPolicy = "LatestOrFail"
	// SecretVersionSelectionPolicyLatestOrFetch falls back to the newest enabled version.
	SecretVersionSelectionPolicyLatestOrFetch SecretVersionSelectionPolicy = "LatestOrFetch"
)

// GCPSMAuth holds at most one way to authenticate to GCP.
type GCPSMAuth struct {
	// SecretRef reads a service account key (JSON) from a Secret.
	// +optional
	SecretRef *GCPSMAuthSecretRef `json:"secretRef,omitempty"`

	// WorkloadIdentity exchanges a Kubernetes ServiceAccount token for GCP credentials
	// (GKE workload identity).
	// +optional
	WorkloadIdentity *GCPWorkloadIdentity `json:"workloadIdentity,omitempty"`

	// WorkloadIdentityFederation exchanges a credential of another identity provider for
	// GCP credentials at Google's Security Token Service.
	// +optional
	WorkloadIdentityFederation *GCPWorkloadIdentityFederation `json:"workloadIdentityFederation,omitempty"`
}

// GCPSMAuthSecretRef names the Secret key that holds a service account key.
type GCPSMAuthSecretRef struct {
	// SecretAccessKey is the service account key, as JSON.
	// +optional
	SecretAccessKey SecretKeySelector `json:"secretAccessKeySecretRef,omitempty"`
}

// GCPWorkloadIdentity exchanges a ServiceAccount token through the cluster's workload
// identity pool for an access token of the GCP service account that the Kubernetes
// ServiceAccount's iam.gke.io/gcp-service-account annotation names.
type GCPWorkloadIdentity struct {
	// ServiceAccountRef is the Kubernetes ServiceAccount whose token is exchanged.
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`

	// ClusterLocation is the GKE cluster's region or zone.
	// +optional
	ClusterLocation string `json:"clusterLocation,omitempty"`

	// ClusterName is the GKE cluster's name.
	// +optional
	ClusterName string `json:"clusterName,omitempty"`

	// ClusterProjectID is the cluster's project, when it differs from projectID.
	// +optional
	ClusterProjectID string `json:"clusterProjectID,omitempty"`
}

// GCPWorkloadIdentityFederation exchanges a subject token at Google's Security Token
// Service: a Kubernetes ServiceAccount token (serviceAccountRef), a signed AWS
// GetCallerIdentity request (awsSecurityCredentials), or what a credential configuration
// points at (credConfig: a file, or the URL of externalTokenEndpoint; executable and EC2
// metadata sources are refused). Set exactly one of the three.
type GCPWorkloadIdentityFederation struct {
	// CredConfig names the ConfigMap key that holds the credential configuration, Google's
	// external_account JSON.
	// +optional
	CredConfig *ConfigMapReference `json:"credConfig,omitempty"`

	// ServiceAccountRef is the Kubernetes ServiceAccount whose token, for its audiences, is
	// exchanged; its iam.gke.io/gcp-service-account annotation names a GCP service account
	// to impersonate.
	// +optional
	ServiceAccountRef *ServiceAccountSelector `json:"serviceAccountRef,omitempty"`

	// AwsSecurityCredentials names a Secret of AWS keys (aws_access_key_id,
	// aws_secret_access_key, aws_session_token) that sign the AWS subject token.
	// +optional
	AwsSecurityCredentials *AwsCredentialsConfig `json:"awsSecurityCredentials,omitempty"`

	// Audience is the workload identity pool provider,
	// //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER;
	// it replaces the credential configuration's.
	// +optional
	Audience string `json:"audience,omitempty"`

	// ExternalTokenEndpoint is the only URL a credential configuration may read the subject
	// token from.
	// +optional
	ExternalTokenEndpoint string `json:"externalTokenEndpoint,omitempty"`

	// GCPServiceAccountEmail is the GCP service account to impersonate; it takes precedence
	// over the ServiceAccount's annotation and the configuration's impersonation URL.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern:=^.*@.*\.iam\.gserviceaccount\.com$
	// +optional
	GCPServiceAccountEmail string `json:"gcpServiceAccountEmail,omitempty"`
}

// ConfigMapReference names one key of a ConfigMap.
type ConfigMapReference struct {
	// Name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`

	// Namespace of the ConfigMap, for ClusterSecretStores only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// Key in the ConfigMap's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[-._a-zA-Z0-9]+$
	Key string `json:"key"`
}

// AwsCredentialsConfig names the Secret of AWS credentials and their region.
type AwsCredentialsConfig struct {
	// Region of the AWS credentials.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=50
	// +kubebuilder:validation:Pattern:=^[a-z0-9-]+$
	Region string `json:"region"`

	// AwsCredentialsSecretRef names the Secret holding the AWS credentials.
	AwsCredentialsSecretRef SecretReference `json:"awsCredentialsSecretRef"`
}

// SecretReference names a whole Secret.
type SecretReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$
	Name string `json:"name"`

	// Namespace of the Secret, for ClusterSecretStores only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
	// +optional
	Namespace *string `json:"namespace,omitempty"`
}
