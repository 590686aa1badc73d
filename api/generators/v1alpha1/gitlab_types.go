package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// GitlabDeployTokenSpec describes the GitLab deploy token to create, for a project or a
// group (exactly one of them).
// +kubebuilder:validation:XValidation:rule="has(self.projectID) != has(self.groupID)",message="set exactly one of projectID or groupID"
type GitlabDeployTokenSpec struct {
	// URL of the GitLab instance; unset means gitlab.com.
	// +optional
	URL string `json:"url,omitempty"`

	// ProjectID of the project the token is for.
	// +kubebuilder:validation:MinLength=1
	// +optional
	ProjectID string `json:"projectID,omitempty"`

	// GroupID of the group the token is for.
	// +kubebuilder:validation:MinLength=1
	// +optional
	GroupID string `json:"groupID,omitempty"`

	// Name of the deploy token.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Username of the token; unset lets GitLab choose one.
	// +optional
	Username string `json:"username,omitempty"`

	// Scopes granted to the token.
	Scopes []GitlabDeployTokenScope `json:"scopes"`

	// ExpiresAt is when the token expires; unset means never.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// Auth holds the GitLab access token that creates deploy tokens.
	Auth GitlabAuth `json:"auth"`
}

// GitlabDeployTokenScope is one permission of a deploy token.
// +kubebuilder:validation:Enum=read_repository;read_registry;write_registry;read_package_registry;write_package_registry;read_virtual_registry;write_virtual_registry
type GitlabDeployTokenScope string

// GitlabAuth holds the access token Ferry would use against GitLab's API.
type GitlabAuth struct {
	Token GitlabSecretRef `json:"token"`
}

// GitlabSecretRef names the Secret key of a GitLab access token.
type GitlabSecretRef struct {
	SecretRef esv1.SecretKeySelector `json:"secretRef"`
}

// GitlabDeployToken generates a GitLab deploy token: keys username and token. Each token is
// recorded in a GeneratorState and revoked once a newer one replaced it.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type GitlabDeployToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GitlabDeployTokenSpec `json:"spec,omitempty"`
}

// GitlabDeployTokenList is a list of GitlabDeployToken generators.
// +kubebuilder:object:root=true
type GitlabDeployTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GitlabDeployToken `json:"items"`
}
