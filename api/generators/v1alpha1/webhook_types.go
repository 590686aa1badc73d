package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// WebhookSpec describes the HTTP call whose answer becomes the generated values. It is a
// webhook store's configuration, except that secrets are read in the generator's
// namespace and result is required.
type WebhookSpec struct {
	// Method of the request; unset means GET.
	// +optional
	Method string `json:"method,omitempty"`

	// URL to call, a template.
	URL string `json:"url"`

	// Headers of the request; values are templates.
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// Auth of the request; exactly one method is set.
	// +optional
	Auth *esv1.WebhookAuth `json:"auth,omitempty"`

	// Body of the request, a template.
	// +optional
	Body string `json:"body,omitempty"`

	// Timeout of the request, e.g. 5s.
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Result says which part of the response holds the values.
	Result esv1.WebhookResult `json:"result"`

	// Secrets are Secrets whose keys the templates can use, as .<name>.<key>.
	// +optional
	Secrets []WebhookSecret `json:"secrets,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the endpoint.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *esv1.CAProvider `json:"caProvider,omitempty"`
}

// WebhookSecret makes the keys of a Secret available to the templates under Name.
type WebhookSecret struct {
	// Name under which the templates see the Secret's keys.
	Name string `json:"name"`

	// SecretRef names the Secret.
	SecretRef LocalSecretKeySelector `json:"secretRef"`
}

// Webhook generates values by calling an HTTP endpoint: one key per field of the JSON
// object it answers.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type Webhook struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec WebhookSpec `json:"spec,omitempty"`
}

// WebhookList is a list of Webhook generators.
// +kubebuilder:object:root=true
type WebhookList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Webhook `json:"items"`
}
