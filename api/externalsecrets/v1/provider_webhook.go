package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// WebhookProvider reads values from an HTTP endpoint. URL, headers, body and
// result.jsonPath are Go templates over .remoteRef and the named secrets.
type WebhookProvider struct {
	// Method of the request; default GET.
	// +optional
	Method string `json:"method,omitempty"`

	// URL to call, a template, e.g. "https://example.com/secrets/{{ .remoteRef.key }}".
	URL string `json:"url"`

	// Headers of the request; values are templates.
	// +optional
	Headers map[string]string `json:"headers,omitempty"`

	// Auth of the request. Exactly one method is set.
	// +optional
	Auth *WebhookAuth `json:"auth,omitempty"`

	// Body of the request, a template.
	// +optional
	Body string `json:"body,omitempty"`

	// Timeout of one request, e.g. "5s".
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Result says which part of the response is the value.
	// +optional
	Result WebhookResult `json:"result,omitempty"`

	// Secrets are Kubernetes Secrets whose keys the templates can use, as .<name>.<key>.
	// +optional
	Secrets []WebhookSecret `json:"secrets,omitempty"`

	// CABundle holds PEM-encoded CA certificates that verify the endpoint.
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// CAProvider reads the CA certificates from a Secret or ConfigMap.
	// +optional
	CAProvider *CAProvider `json:"caProvider,omitempty"`
}

// WebhookAuth is the authentication of webhook requests.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type WebhookAuth struct {
	// NTLM authentication.
	// +optional
	NTLM *NTLMProtocol `json:"ntlm,omitempty"`
}

// NTLMProtocol names the Secret keys of NTLM credentials.
type NTLMProtocol struct {
	UserName SecretKeySelector `json:"usernameSecret"`
	Password SecretKeySelector `json:"passwordSecret"`
}

// WebhookResult selects the value in the response.
type WebhookResult struct {
	// JSONPath into the JSON response, e.g. "$.data.value"; empty takes the whole body.
	// +optional
	JSONPath string `json:"jsonPath,omitempty"`
}

// WebhookSecret makes the keys of a Secret available to the templates under Name.
type WebhookSecret struct {
	// Name under which the templates see the Secret's keys.
	Name string `json:"name"`

	// SecretRef names the Secret; its key is not used: every key is available.
	SecretRef SecretKeySelector `json:"secretRef"`
}
