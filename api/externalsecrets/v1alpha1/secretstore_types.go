package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SecretStoreSpec says how to reach one external secret manager.
type SecretStoreSpec struct {
	// Controller names the Ferry instance (its --controller-class) that handles this store;
	// empty means the default instance.
	// +optional
	Controller string `json:"controller,omitempty"`

	// Provider holds exactly one provider's configuration.
	Provider *SecretStoreProvider `json:"provider"`

	// RetrySettings of calls to the provider.
	// +optional
	RetrySettings *SecretStoreRetrySettings `json:"retrySettings,omitempty"`
}

// SecretStoreRetrySettings bound the retries of provider calls.
type SecretStoreRetrySettings struct {
	// +optional
	MaxRetries *int32 `json:"maxRetries,omitempty"`
	// +optional
	RetryInterval *string `json:"retryInterval,omitempty"`
}

// SecretStoreProvider is a union: exactly one field is set. Its fields are the providers ESO's
// v1alpha1 had, in their v1alpha1 shape; providers added later are v1 only.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type SecretStoreProvider struct {
	// AWS configures AWS Secrets Manager or Parameter Store.
	// +optional
	AWS *AWSProvider `json:"aws,omitempty"`

	// Fake serves static values from the store's own spec, for tests and demos.
	// +optional
	Fake *FakeProvider `json:"fake,omitempty"`

	// Vault configures HashiCorp Vault's KV secrets engine.
	// +optional
	Vault *VaultProvider `json:"vault,omitempty"`

	// Kubernetes reads Secrets of a Kubernetes cluster.
	// +optional
	Kubernetes *KubernetesProvider `json:"kubernetes,omitempty"`

	// Webhook reads values from an HTTP endpoint.
	// +optional
	Webhook *WebhookProvider `json:"webhook,omitempty"`

	// GCPSM configures Google Cloud Secret Manager.
	// +optional
	GCPSM *GCPSMProvider `json:"gcpsm,omitempty"`

	// AzureKV configures Azure Key Vault.
	// +optional
	AzureKV *AzureKVProvider `json:"azurekv,omitempty"`

	// Akeyless configures the Akeyless platform.
	// +optional
	Akeyless *AkeylessProvider `json:"akeyless,omitempty"`

	// Oracle configures Oracle Cloud Infrastructure Vault.
	// +optional
	Oracle *OracleProvider `json:"oracle,omitempty"`

	// IBM configures IBM Cloud Secrets Manager.
	// +optional
	IBM *IBMProvider `json:"ibm,omitempty"`

	// YandexLockbox configures Yandex Cloud Lockbox.
	// +optional
	YandexLockbox *YandexLockboxProvider `json:"yandexlockbox,omitempty"`

	// Gitlab configures GitLab CI/CD variables.
	// +optional
	Gitlab *GitlabProvider `json:"gitlab,omitempty"`

	// Alibaba configures Alibaba Cloud KMS secrets manager, which v1 no longer has: the store
	// is kept, but Ferry cannot read through it.
	// +optional
	Alibaba *AlibabaProvider `json:"alibaba,omitempty"`

	// PasswordDepot configures a Password Depot server.
	// +optional
	PasswordDepot *PasswordDepotProvider `json:"passworddepot,omitempty"`
}

// SecretStoreConditionType is the type of a store condition.
type SecretStoreConditionType string

// SecretStoreReady is the store's readiness condition.
const SecretStoreReady SecretStoreConditionType = "Ready"

// SecretStoreStatusCondition is one condition of a store.
type SecretStoreStatusCondition struct {
	Type   SecretStoreConditionType `json:"type"`
	Status metav1.ConditionStatus   `json:"status"`
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
}

// SecretStoreStatus is what was observed of a store.
type SecretStoreStatus struct {
	// +optional
	Conditions []SecretStoreStatusCondition `json:"conditions,omitempty"`
}

// SecretStore says how to reach an external secret manager from one namespace, in the
// v1alpha1 shape.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ss,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
type SecretStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SecretStoreSpec   `json:"spec,omitempty"`
	Status SecretStoreStatus `json:"status,omitempty"`
}

// SecretStoreList is a list of SecretStores.
// +kubebuilder:object:root=true
type SecretStoreList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SecretStore `json:"items"`
}

// ClusterSecretStore says how to reach an external secret manager from any namespace, in the
// v1alpha1 shape, which cannot restrict the namespaces.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=css,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
type ClusterSecretStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SecretStoreSpec   `json:"spec,omitempty"`
	Status SecretStoreStatus `json:"status,omitempty"`
}

// ClusterSecretStoreList is a list of ClusterSecretStores.
// +kubebuilder:object:root=true
type ClusterSecretStoreList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterSecretStore `json:"items"`
}
