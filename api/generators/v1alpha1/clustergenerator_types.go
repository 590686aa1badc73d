package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ClusterGeneratorSpec holds one generator's spec and names its kind.
type ClusterGeneratorSpec struct {
	// Kind of the generator in spec.generator. Every kind External Secrets Operator knows is
	// accepted and kept; Ferry generates only those it implements.
	// +kubebuilder:validation:Enum=ACRAccessToken;BeyondtrustWorkloadCredentialsDynamicSecret;CloudsmithAccessToken;ECRAuthorizationToken;Fake;GCRAccessToken;GithubAccessToken;GitlabDeployToken;QuayAccessToken;Password;SSHKey;STSSessionToken;UUID;VaultDynamicSecret;Webhook;Grafana;MFA
	Kind string `json:"kind"`

	// Generator holds the spec of that kind.
	Generator GeneratorSpec `json:"generator"`
}

// GeneratorSpec is a union: exactly one field is set, the one of ClusterGeneratorSpec.Kind.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type GeneratorSpec struct {
	// +optional
	ACRAccessTokenSpec *ACRAccessTokenSpec `json:"acrAccessTokenSpec,omitempty"`
	// +optional
	BeyondtrustWorkloadCredentialsDynamicSecretSpec *BeyondtrustWorkloadCredentialsDynamicSecretSpec `json:"beyondtrustWorkloadCredentialsDynamicSecretSpec,omitempty"`
	// +optional
	CloudsmithAccessTokenSpec *CloudsmithAccessTokenSpec `json:"cloudsmithAccessTokenSpec,omitempty"`
	// +optional
	ECRAuthorizationTokenSpec *ECRAuthorizationTokenSpec `json:"ecrAuthorizationTokenSpec,omitempty"`
	// +optional
	FakeSpec *FakeSpec `json:"fakeSpec,omitempty"`
	// +optional
	GCRAccessTokenSpec *GCRAccessTokenSpec `json:"gcrAccessTokenSpec,omitempty"`
	// +optional
	GithubAccessTokenSpec *GithubAccessTokenSpec `json:"githubAccessTokenSpec,omitempty"`
	// +optional
	GitlabDeployTokenSpec *GitlabDeployTokenSpec `json:"gitlabDeployTokenSpec,omitempty"`
	// +optional
	GrafanaSpec *GrafanaSpec `json:"grafanaSpec,omitempty"`
	// +optional
	MFASpec *MFASpec `json:"mfaSpec,omitempty"`
	// +optional
	PasswordSpec *PasswordSpec `json:"passwordSpec,omitempty"`
	// +optional
	QuayAccessTokenSpec *QuayAccessTokenSpec `json:"quayAccessTokenSpec,omitempty"`
	// +optional
	SSHKeySpec *SSHKeySpec `json:"sshKeySpec,omitempty"`
	// +optional
	STSSessionTokenSpec *STSSessionTokenSpec `json:"stsSessionTokenSpec,omitempty"`
	// +optional
	UUIDSpec *UUIDSpec `json:"uuidSpec,omitempty"`
	// +optional
	VaultDynamicSecretSpec *VaultDynamicSecretSpec `json:"vaultDynamicSecretSpec,omitempty"`
	// +optional
	WebhookSpec *WebhookSpec `json:"webhookSpec,omitempty"`
}

// ClusterGenerator makes a generator available to ExternalSecrets of every namespace. The
// generator still acts for the namespace of the ExternalSecret that uses it: Secrets and
// ServiceAccounts its auth names are read there.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={external-secrets,external-secrets-generators}
type ClusterGenerator struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ClusterGeneratorSpec `json:"spec,omitempty"`
}

// ClusterGeneratorList is a list of ClusterGenerators.
// +kubebuilder:object:root=true
type ClusterGeneratorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterGenerator `json:"items"`
}
