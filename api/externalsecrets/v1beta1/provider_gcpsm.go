package v1beta1

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
}

// GCPSMAuth holds at most one way to authenticate to GCP.
type GCPSMAuth struct {
	// SecretRef reads a service account key (JSON) from a Secret.
	// +optional
	SecretRef *GCPSMAuthSecretRef `json:"secretRef,omitempty"`

	// WorkloadIdentity exchanges a Kubernetes ServiceAccount token for GCP credentials
	// (GKE workload identity).
	// +optional
	WorkloadIdentity *GCPWorkloadIdentity `json:"workloadIdentity,omitempty"`
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
