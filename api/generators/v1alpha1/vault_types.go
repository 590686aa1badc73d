package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// VaultDynamicSecretSpec says which Vault path to call, how, and which part of the answer
// becomes the generated values.
type VaultDynamicSecretSpec struct {
	// Controller names the Ferry instance (its --controller-class) that uses this generator;
	// Ferry accepts it for compatibility and does not act on it.
	// +optional
	Controller string `json:"controller,omitempty"`

	// Method is the HTTP method of the call; unset means GET.
	// +optional
	Method string `json:"method,omitempty"`

	// Parameters are sent as the JSON body of write methods (POST, PUT, ...).
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Parameters *apiextensionsv1.JSON `json:"parameters,omitempty"`

	// GetParameters are sent as the query string of GET calls.
	// +optional
	GetParameters map[string][]string `json:"getParameters,omitempty"`

	// ResultType selects the part of Vault's answer: Data (its data), Auth (its auth block,
	// for login paths) or Raw (the whole answer).
	// +kubebuilder:validation:Enum=Data;Auth;Raw
	// +kubebuilder:default=Data
	// +optional
	ResultType VaultDynamicSecretResultType `json:"resultType,omitempty"`

	// AllowEmptyResponse accepts an answer without the selected part, yielding no values.
	// +kubebuilder:default=false
	// +optional
	AllowEmptyResponse bool `json:"allowEmptyResponse,omitempty"`

	// Provider is the Vault server and authentication, as in a Vault SecretStore.
	Provider *esv1.VaultProvider `json:"provider"`

	// Path of the call, e.g. database/creds/my-role.
	Path string `json:"path"`

	// RetrySettings of the call.
	// +optional
	RetrySettings *esv1.SecretStoreRetrySettings `json:"retrySettings,omitempty"`
}

// VaultDynamicSecretResultType selects the part of Vault's answer that is generated.
type VaultDynamicSecretResultType string

// Result types.
const (
	VaultResultData VaultDynamicSecretResultType = "Data"
	VaultResultAuth VaultDynamicSecretResultType = "Auth"
	VaultResultRaw  VaultDynamicSecretResultType = "Raw"
)

// VaultDynamicSecret generates values by calling a Vault path, e.g. dynamic database
// credentials; nested values are written as JSON.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={external-secrets,external-secrets-generators}
type VaultDynamicSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec VaultDynamicSecretSpec `json:"spec,omitempty"`
}

// VaultDynamicSecretList is a list of VaultDynamicSecret generators.
// +kubebuilder:object:root=true
type VaultDynamicSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VaultDynamicSecret `json:"items"`
}
