package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group is the API group of generators, shared with External Secrets Operator.
const Group = "generators.external-secrets.io"

// Version is the only version of the generators API.
const Version = "v1alpha1"

var (
	// SchemeGroupVersion is the group and version of these types.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// GroupVersion is an alias of SchemeGroupVersion, as kubebuilder names it.
	GroupVersion = SchemeGroupVersion

	// SchemeBuilder registers the types of this package with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kinds of this API, by name, as an ExternalSecret's generatorRef.kind and a
// ClusterGenerator's spec.kind spell them.
const (
	PasswordKind              = "Password"
	UUIDKind                  = "UUID"
	FakeKind                  = "Fake"
	ECRAuthorizationTokenKind = "ECRAuthorizationToken"
	STSSessionTokenKind       = "STSSessionToken"
	VaultDynamicSecretKind    = "VaultDynamicSecret"
	ClusterGeneratorKind      = "ClusterGenerator"

	ACRAccessTokenKind                              = "ACRAccessToken"
	BeyondtrustWorkloadCredentialsDynamicSecretKind = "BeyondtrustWorkloadCredentialsDynamicSecret"
	CloudsmithAccessTokenKind                       = "CloudsmithAccessToken"
	GCRAccessTokenKind                              = "GCRAccessToken"
	GithubAccessTokenKind                           = "GithubAccessToken"
	GitlabDeployTokenKind                           = "GitlabDeployToken"
	GrafanaKind                                     = "Grafana"
	MFAKind                                         = "MFA"
	QuayAccessTokenKind                             = "QuayAccessToken"
	SSHKeyKind                                      = "SSHKey"
	WebhookKind                                     = "Webhook"
)

// GeneratorStateKind is External Secrets Operator's record of generated resources; it is
// not a generator.
const GeneratorStateKind = "GeneratorState"

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(SchemeGroupVersion,
		&Password{}, &PasswordList{},
		&UUID{}, &UUIDList{},
		&Fake{}, &FakeList{},
		&ECRAuthorizationToken{}, &ECRAuthorizationTokenList{},
		&STSSessionToken{}, &STSSessionTokenList{},
		&VaultDynamicSecret{}, &VaultDynamicSecretList{},
		&ClusterGenerator{}, &ClusterGeneratorList{},
		&ACRAccessToken{}, &ACRAccessTokenList{},
		&BeyondtrustWorkloadCredentialsDynamicSecret{}, &BeyondtrustWorkloadCredentialsDynamicSecretList{},
		&CloudsmithAccessToken{}, &CloudsmithAccessTokenList{},
		&GCRAccessToken{}, &GCRAccessTokenList{},
		&GithubAccessToken{}, &GithubAccessTokenList{},
		&GitlabDeployToken{}, &GitlabDeployTokenList{},
		&Grafana{}, &GrafanaList{},
		&MFA{}, &MFAList{},
		&QuayAccessToken{}, &QuayAccessTokenList{},
		&SSHKey{}, &SSHKeyList{},
		&Webhook{}, &WebhookList{},
		&GeneratorState{}, &GeneratorStateList{},
	)
	metav1.AddToGroupVersion(scheme, SchemeGroupVersion)
	return nil
}
