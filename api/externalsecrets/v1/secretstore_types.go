package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
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

	// RefreshInterval between validations of the store, in seconds or as a duration.
	// +optional
	RefreshInterval *intstr.IntOrString `json:"refreshInterval,omitempty"`

	// Conditions restrict the namespaces whose ExternalSecrets may use a ClusterSecretStore.
	// An ExternalSecret is allowed when its namespace matches any one condition.
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

// SecretStoreProvider is a union: exactly one field is set.
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type SecretStoreProvider struct {
	// AWS configures AWS Secrets Manager, Parameter Store or Certificate Manager.
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

	// Barbican reads secrets from OpenStack Barbican.
	// +optional
	Barbican *BarbicanProvider `json:"barbican,omitempty"`

	// Beyondtrust reads secrets from BeyondTrust Password Safe.
	// +optional
	Beyondtrust *BeyondtrustProvider `json:"beyondtrust,omitempty"`

	// BeyondtrustWorkloadCredentials reads secrets from BeyondTrust Workload Credentials.
	// +optional
	BeyondtrustWorkloadCredentials *BeyondtrustWorkloadCredentialsProvider `json:"beyondtrustworkloadcredentials,omitempty"`

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

	// CRD reads values from custom resources of a Kubernetes cluster.
	// +optional
	CRD *CRDProvider `json:"crd,omitempty"`

	// Delinea reads secrets from Delinea DevOps Secrets Vault.
	// +optional
	Delinea *DelineaProvider `json:"delinea,omitempty"`

	// Doppler reads secrets from Doppler.
	// +optional
	Doppler *DopplerProvider `json:"doppler,omitempty"`

	// DVLS reads entries from Devolutions Server.
	// +optional
	DVLS *DVLSProvider `json:"dvls,omitempty"`

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

	// NebiusMysterybox reads secrets from Nebius MysteryBox.
	// +optional
	NebiusMysterybox *NebiusMysteryboxProvider `json:"nebiusmysterybox,omitempty"`

	// Ngrok writes secrets to an ngrok vault.
	// +optional
	Ngrok *NgrokProvider `json:"ngrok,omitempty"`

	// Onboardbase reads secrets from Onboardbase.
	// +optional
	Onboardbase *OnboardbaseProvider `json:"onboardbase,omitempty"`

	// OnePassword reads items from 1Password through a 1Password Connect server.
	// +optional
	OnePassword *OnePasswordProvider `json:"onepassword,omitempty"`

	// OnePasswordSDK reads items from 1Password through its SDK and a service account.
	// +optional
	OnePasswordSDK *OnePasswordSDKProvider `json:"onepasswordSDK,omitempty"`

	// OpenBao reads secrets from an OpenBao KV secrets engine.
	// +optional
	OpenBao *OpenBaoProvider `json:"openBao,omitempty"`

	// Oracle reads secrets from Oracle Cloud Infrastructure Vault.
	// +optional
	Oracle *OracleProvider `json:"oracle,omitempty"`

	// OVH reads secrets from OVHcloud Secret Manager (OKMS).
	// +optional
	OVH *OVHProvider `json:"ovh,omitempty"`

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

	// Volcengine reads secrets from Volcengine KMS secrets manager.
	// +optional
	Volcengine *VolcengineProvider `json:"volcengine,omitempty"`

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

// SecretStoreCapabilities says what a store can do.
type SecretStoreCapabilities string

// Store capabilities.
const (
	SecretStoreReadOnly  SecretStoreCapabilities = "ReadOnly"
	SecretStoreWriteOnly SecretStoreCapabilities = "WriteOnly"
	SecretStoreReadWrite SecretStoreCapabilities = "ReadWrite"
)

// SecretStoreStatus is what Ferry observed of a store.
type SecretStoreStatus struct {
	// +optional
	Conditions []SecretStoreStatusCondition `json:"conditions,omitempty"`
	// +optional
	Capabilities SecretStoreCapabilities `json:"capabilities,omitempty"`
}

// SecretStore says how to reach an external secret manager from one namespace.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
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

// ClusterSecretStore says how to reach an external secret manager from any allowed namespace.
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
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

// GenericStore is what SecretStore and ClusterSecretStore share, so code can take either.
// +kubebuilder:object:generate=false
type GenericStore interface {
	metav1.Object
	runtime.Object
	GetKind() string
	GetSpec() *SecretStoreSpec
	GetStatus() *SecretStoreStatus
}

// GetKind returns SecretStoreKind.
func (s *SecretStore) GetKind() string { return SecretStoreKind }

// GetSpec returns the store's spec.
func (s *SecretStore) GetSpec() *SecretStoreSpec { return &s.Spec }

// GetStatus returns the store's status.
func (s *SecretStore) GetStatus() *SecretStoreStatus { return &s.Status }

// GetKind returns ClusterSecretStoreKind.
func (s *ClusterSecretStore) GetKind() string { return ClusterSecretStoreKind }

// GetSpec returns the store's spec.
func (s *ClusterSecretStore) GetSpec() *SecretStoreSpec { return &s.Spec }

// GetStatus returns the store's status.
func (s *ClusterSecretStore) GetStatus() *SecretStoreStatus { return &s.Status }
