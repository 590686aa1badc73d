package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// GCRAccessTokenSpec says how to obtain an access token for Google Container Registry or
// Artifact Registry.
type GCRAccessTokenSpec struct {
	// Auth is how Ferry authenticates to GCP.
	Auth GCRAuth `json:"auth"`

	// ProjectID of the registry's project.
	ProjectID string `json:"projectID"`
}

// GCRAuth holds one way to authenticate to GCP. It is a store's GCP auth, except that
// workload identity needs the cluster's name and location.
type GCRAuth struct {
	// SecretRef reads a service account key (JSON) from a Secret.
	// +optional
	SecretRef *esv1.GCPSMAuthSecretRef `json:"secretRef,omitempty"`

	// WorkloadIdentity exchanges a Kubernetes ServiceAccount token (GKE workload identity).
	// +optional
	WorkloadIdentity *GCRWorkloadIdentity `json:"workloadIdentity,omitempty"`

	// WorkloadIdentityFederation federates another identity provider.
	// +optional
	WorkloadIdentityFederation *esv1.GCPWorkloadIdentityFederation `json:"workloadIdentityFederation,omitempty"`
}

// GCRWorkloadIdentity names the ServiceAccount and the GKE cluster of workload identity.
type GCRWorkloadIdentity struct {
	// ServiceAccountRef is the Kubernetes ServiceAccount whose token is exchanged.
	ServiceAccountRef esv1.ServiceAccountSelector `json:"serviceAccountRef"`

	// ClusterLocation is the GKE cluster's region or zone.
	ClusterLocation string `json:"clusterLocation"`

	// ClusterName is the GKE cluster's name.
	ClusterName string `json:"clusterName"`

	// ClusterProjectID is the cluster's project, when it differs from projectID.
	// +optional
	ClusterProjectID string `json:"clusterProjectID,omitempty"`
}

// GCRAccessToken generates a registry login for Google Container Registry or Artifact
// Registry: keys username (oauth2accesstoken), password (a Google access token) and expiry.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type GCRAccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GCRAccessTokenSpec `json:"spec,omitempty"`
}

// GCRAccessTokenList is a list of GCRAccessToken generators.
// +kubebuilder:object:root=true
type GCRAccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GCRAccessToken `json:"items"`
}
