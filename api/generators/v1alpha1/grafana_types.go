package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GrafanaSpec describes the Grafana service account whose token is generated.
type GrafanaSpec struct {
	// URL of the Grafana instance.
	URL string `json:"url"`

	// Auth is how Ferry authenticates to Grafana: a token or basic credentials.
	Auth GrafanaAuth `json:"auth"`

	// ServiceAccount is created (if missing) and given a new token.
	ServiceAccount GrafanaServiceAccount `json:"serviceAccount"`
}

// GrafanaAuth holds one way to authenticate to Grafana.
type GrafanaAuth struct {
	// Token names the Secret key of a service account token.
	// +optional
	Token *LocalSecretKeySelector `json:"token,omitempty"`

	// Basic is a user name and the Secret key of its password.
	// +optional
	Basic *GrafanaBasicAuth `json:"basic,omitempty"`
}

// GrafanaBasicAuth is a user name and password.
type GrafanaBasicAuth struct {
	// Username to log in with.
	Username string `json:"username"`
	// Password names the Secret key of the password.
	Password LocalSecretKeySelector `json:"password"`
}

// GrafanaServiceAccount names the service account and its role.
type GrafanaServiceAccount struct {
	// Name of the service account.
	Name string `json:"name"`

	// Role of the service account: Viewer, Editor or Admin.
	Role string `json:"role"`

	// SecondsToLive is the token's lifetime; unset means it does not expire.
	// +kubebuilder:validation:Minimum=1
	// +optional
	SecondsToLive *int64 `json:"secondsToLive,omitempty"`
}

// Grafana generates a Grafana service account token: keys login and token. Each token is
// recorded in a GeneratorState and deleted at Grafana once a newer one replaced it.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type Grafana struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GrafanaSpec `json:"spec,omitempty"`
}

// GrafanaList is a list of Grafana generators.
// +kubebuilder:object:root=true
type GrafanaList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Grafana `json:"items"`
}
