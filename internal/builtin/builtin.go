package builtin

import (
	"k8s.io/client-go/rest"

	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/akeyless"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/azurekv"
	"github.com/ferryhq/ferry/internal/provider/bitwarden"
	"github.com/ferryhq/ferry/internal/provider/conjur"
	"github.com/ferryhq/ferry/internal/provider/delinea"
	"github.com/ferryhq/ferry/internal/provider/doppler"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/provider/gcpsm"
	"github.com/ferryhq/ferry/internal/provider/gitlab"
	"github.com/ferryhq/ferry/internal/provider/ibm"
	"github.com/ferryhq/ferry/internal/provider/infisical"
	"github.com/ferryhq/ferry/internal/provider/keepersecurity"
	"github.com/ferryhq/ferry/internal/provider/kubernetes"
	"github.com/ferryhq/ferry/internal/provider/onboardbase"
	"github.com/ferryhq/ferry/internal/provider/onepassword"
	"github.com/ferryhq/ferry/internal/provider/oracle"
	"github.com/ferryhq/ferry/internal/provider/passbolt"
	"github.com/ferryhq/ferry/internal/provider/previder"
	"github.com/ferryhq/ferry/internal/provider/pulumi"
	"github.com/ferryhq/ferry/internal/provider/scaleway"
	"github.com/ferryhq/ferry/internal/provider/secretserver"
	"github.com/ferryhq/ferry/internal/provider/vault"
	"github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/provider/yandex"
)

// Registries returns the registries of every provider and every generator kind Ferry
// implements. localCluster is the address the kubernetes provider reads for "the cluster
// Ferry runs in"; nil when the registries only answer what is implemented (preflight).
//
// The AWS generators (ECRAuthorizationToken, STSSessionToken) use the AWS provider's own
// instance, so AWS SecretStores and generators share one connection pool and one cache
// of credentials; ACRAccessToken and GCRAccessToken authenticate with the Azure Key Vault
// and Google Cloud Secret Manager providers' code.
func Registries(localCluster *rest.Config) (*provider.Registry, *generator.Registry) {
	awsProvider, azureProvider, gcpProvider := aws.NewSessions(), azurekv.New(), gcpsm.New()
	return providers(localCluster, awsProvider, azureProvider, gcpProvider), generators(awsProvider, azureProvider, gcpProvider)
}

func providers(localCluster *rest.Config, awsProvider *aws.Provider, azureProvider azurekv.Provider, gcpProvider gcpsm.Provider) *provider.Registry {
	var kubeOpts []kubernetes.Option
	if localCluster != nil {
		kubeOpts = append(kubeOpts, kubernetes.WithLocalCluster(localCluster))
	}
	return provider.NewRegistry(fake.New(), awsProvider, vault.New(), vault.NewOpenBao(), kubernetes.New(kubeOpts...),
		webhook.New(), gcpProvider, azureProvider,
		conjur.New(), delinea.New(), secretserver.New(), previder.New(),
		doppler.New(), infisical.New(), gitlab.New(), onepassword.New(), scaleway.New(),
		bitwarden.New(), pulumi.New(), ibm.New(), akeyless.New(), oracle.New(),
		onboardbase.New(), passbolt.New(), keepersecurity.New(), yandex.NewLockbox(), yandex.NewCertificateManager())
}

func generators(awsProvider *aws.Provider, azureProvider azurekv.Provider, gcpProvider gcpsm.Provider) *generator.Registry {
	return generator.NewRegistry(generator.NewPassword(), generator.NewUUID(), generator.NewFake(),
		generator.NewECRAuthorizationToken(awsProvider), generator.NewSTSSessionToken(awsProvider),
		generator.NewVaultDynamicSecret(vault.NewCaller()), generator.NewSSHKey(), generator.NewMFA(),
		generator.NewWebhook(webhook.New()), generator.NewGithubAccessToken(), generator.NewGrafana(),
		generator.NewGitlabDeployToken(), generator.NewQuayAccessToken(),
		generator.NewCloudsmithAccessToken(), generator.NewACRAccessToken(azureProvider),
		generator.NewGCRAccessToken(gcpProvider), generator.NewBeyondtrustWorkloadCredentialsDynamicSecret())
}
