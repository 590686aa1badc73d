package v1beta1

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

	// RefreshInterval between validations of the store, in seconds; 0 leaves it to Ferry.
	// +optional
	RefreshInterval int `json:"refreshInterval,omitempty"`

	// Conditions restrict the namespaces whose ExternalSecrets may use a ClusterSecretStore.
	// +optional
	Conditions []ClusterSecretStoreCondition `json:"conditions,omitempty"`
}

// ClusterSecretStoreCondition selects namespaces; a namespace matches when it matches any field.
type ClusterSecretStoreCondition struct {
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// +optional
	Namespaces []NamespaceName `json:"namespaces,omitempty"`

	// NamespaceRegexes are RE2 regular expressions matched against the namespace name.
	// +optional
	NamespaceRegexes []string `json:"namespaceRegexes,omitempty"`
}

// NamespaceName is the name of a namespace.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern:=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
type NamespaceName string

// SecretStoreRetrySettings bound the retries of provider calls.
type SecretStoreRetrySettings struct {
	// +optional
	MaxRetries *int32 `json:"maxRetries,omitempty"`
	// +optional
	RetryInterval *string `json:"retryInterval,omitempty"`
}

// SecretStoreProvider is a union: exactly one field is set. Its fields are the providers Ferry
// serves; a provider added to v1 is added here too, with its v1beta1 shape.
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

	// Akeyless reads secrets from Akeyless through an Akeyless gateway.
	// +optional
	Akeyless *AkeylessProvider `json:"akeyless,omitempty"`

	// Alibaba reads secrets from Alibaba Cloud KMS secrets manager.
	// +optional
	Alibaba *AlibabaProvider `json:"alibaba,omitempty"`

	// Beyondtrust reads secrets from BeyondTrust Password Safe.
	// +optional
	Beyondtrust *BeyondtrustProvider `json:"beyondtrust,omitempty"`

	// BitwardenSecretsManager reads secrets from Bitwarden Secrets Manager through the Bitwarden SDK server.
	// +optional
	BitwardenSecretsManager *BitwardenSecretsManagerProvider `json:"bitwardensecretsmanager,omitempty"`

	// Chef reads data bag items from a Chef Infra Server.
	// +optional
	Chef *ChefProvider `json:"chef,omitempty"`

	// CloudruSM reads secrets from Cloud.ru Secret Manager.
	// +optional
	CloudruSM *CloudruSMProvider `json:"cloudrusm,omitempty"`

	// Conjur reads secrets from CyberArk Conjur.
	// +optional
	Conjur *ConjurProvider `json:"conjur,omitempty"`

	// Delinea reads secrets from Delinea DevOps Secrets Vault.
	// +optional
	Delinea *DelineaProvider `json:"delinea,omitempty"`

	// Device42 reads passwords from Device42.
	// +optional
	Device42 *Device42Provider `json:"device42,omitempty"`

	// Doppler reads secrets from Doppler.
	// +optional
	Doppler *DopplerProvider `json:"doppler,omitempty"`

	// Fortanix reads security objects from Fortanix Data Security Manager.
	// +optional
	Fortanix *FortanixProvider `json:"fortanix,omitempty"`

	// Github writes GitHub Actions secrets; GitHub does not let them be read back.
	// +optional
	Github *GithubProvider `json:"github,omitempty"`

	// Gitlab reads GitLab CI/CD variables of a project or group.
	// +optional
	Gitlab *GitlabProvider `json:"gitlab,omitempty"`

	// IBM reads secrets from IBM Cloud Secrets Manager.
	// +optional
	IBM *IBMProvider `json:"ibm,omitempty"`

	// Infisical reads secrets from Infisical.
	// +optional
	Infisical *InfisicalProvider `json:"infisical,omitempty"`

	// KeeperSecurity reads records from Keeper Secrets Manager and pushes to them.
	// +optional
	KeeperSecurity *KeeperSecurityProvider `json:"keepersecurity,omitempty"`

	// Onboardbase reads secrets from Onboardbase.
	// +optional
	Onboardbase *OnboardbaseProvider `json:"onboardbase,omitempty"`

	// OnePassword reads items from 1Password through a 1Password Connect server.
	// +optional
	OnePassword *OnePasswordProvider `json:"onepassword,omitempty"`

	// Oracle reads secrets from Oracle Cloud Infrastructure Vault.
	// +optional
	Oracle *OracleProvider `json:"oracle,omitempty"`

	// Passbolt reads resources from Passbolt.
	// +optional
	Passbolt *PassboltProvider `json:"passbolt,omitempty"`

	// PasswordDepot reads entries from a Password Depot server.
	// +optional
	PasswordDepot *PasswordDepotProvider `json:"passworddepot,omitempty"`

	// Previder reads secrets from the Previder secret vault.
	// +optional
	Previder *PreviderProvider `json:"previder,omitempty"`

	// Pulumi reads values from Pulumi ESC environments.
	// +optional
	Pulumi *PulumiProvider `json:"pulumi,omitempty"`

	// Scaleway reads secrets from Scaleway Secret Manager.
	// +optional
	Scaleway *ScalewayProvider `json:"scaleway,omitempty"`

	// SecretServer reads secrets from, and pushes secrets to, Delinea Secret Server.
	// +optional
	SecretServer *SecretServerProvider `json:"secretserver,omitempty"`

	// Senhasegura reads secrets from senhasegura DevOps Secrets Management.
	// +optional
	Senhasegura *SenhaseguraProvider `json:"senhasegura,omitempty"`

	// YandexCertificateManager reads certificates from Yandex Certificate Manager.
	// +optional
	YandexCertificateManager *YandexCertificateManagerProvider `json:"yandexcertificatemanager,omitempty"`

	// YandexLockbox reads secrets from Yandex Lockbox.
	// +optional
	YandexLockbox *YandexLockboxProvider `json:"yandexlockbox,omitempty"`
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

// SecretStoreCapabilities says what a store can do: ReadOnly, WriteOnly or ReadWrite.
type SecretStoreCapabilities string

// SecretStoreStatus is what was observed of a store.
type SecretStoreStatus struct {
	// +optional
	Conditions []SecretStoreStatusCondition `json:"conditions,omitempty"`
	// +optional
	Capabilities SecretStoreCapabilities `json:"capabilities,omitempty"`
}

// SecretStore says how to reach an external secret manager from one namespace, in the
// v1beta1 shape.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ss,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Capabilities",type=string,JSONPath=`.status.capabilities`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
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

// ClusterSecretStore says how to reach an external secret manager from any allowed
// namespace, in the v1beta1 shape.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=css,categories=external-secrets
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Capabilities",type=string,JSONPath=`.status.capabilities`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
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
