package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// GithubAccessTokenSpec says which GitHub App installation to obtain an access token for.
type GithubAccessTokenSpec struct {
	// URL of the GitHub API; unset means github.com.
	// +optional
	URL string `json:"url,omitempty"`

	// AppID of the GitHub App.
	AppID string `json:"appID"`

	// InstallID of the App's installation.
	InstallID string `json:"installID"`

	// Repositories limit the token to these repositories, by name.
	// +optional
	Repositories []string `json:"repositories,omitempty"`

	// Permissions limit the token, e.g. contents: read.
	// +optional
	Permissions map[string]string `json:"permissions,omitempty"`

	// Auth holds the App's private key.
	Auth GithubAuth `json:"auth"`
}

// GithubAuth holds the private key of a GitHub App.
type GithubAuth struct {
	PrivateKey GithubSecretRef `json:"privateKey"`
}

// GithubSecretRef names the Secret key of the private key (PEM).
type GithubSecretRef struct {
	SecretRef esv1.SecretKeySelector `json:"secretRef"`
}

// GithubAccessToken generates an installation access token of a GitHub App: key token.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type GithubAccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GithubAccessTokenSpec `json:"spec,omitempty"`
}

// GithubAccessTokenList is a list of GithubAccessToken generators.
// +kubebuilder:object:root=true
type GithubAccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GithubAccessToken `json:"items"`
}
