package builtin

import (
	"k8s.io/client-go/rest"

	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/azurekv"
	"github.com/ferryhq/ferry/internal/provider/doppler"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/provider/gcpsm"
	"github.com/ferryhq/ferry/internal/provider/gitlab"
	"github.com/ferryhq/ferry/internal/provider/infisical"
	"github.com/ferryhq/ferry/internal/provider/kubernetes"
	"github.com/ferryhq/ferry/internal/provider/onepassword"
	"github.com/ferryhq/ferry/internal/provider/vault"
	"github.com/ferryhq/ferry/internal/provider/webhook"
)

// Providers returns the registry of every provider Ferry implements. localCluster is the
// address the kubernetes provider reads for "the cluster Ferry runs in"; nil when the
// registry only answers which providers are implemented (preflight).
func Providers(localCluster *rest.Config) *provider.Registry {
	var kubeOpts []kubernetes.Option
	if localCluster != nil {
		kubeOpts = append(kubeOpts, kubernetes.WithLocalCluster(localCluster))
	}
	return provider.NewRegistry(fake.New(), aws.New(), vault.New(), kubernetes.New(kubeOpts...),
		webhook.New(), gcpsm.New(), azurekv.New(),
		doppler.New(), infisical.New(), gitlab.New(), onepassword.New())
}

// Generators returns the registry of every generator kind Ferry implements. The AWS kinds
// share one cache of AWS sessions.
func Generators() *generator.Registry {
	awsSessions := aws.NewSessions()
	return generator.NewRegistry(generator.NewPassword(), generator.NewUUID(), generator.NewFake(),
		generator.NewECRAuthorizationToken(awsSessions), generator.NewSTSSessionToken(awsSessions),
		generator.NewVaultDynamicSecret(vault.NewCaller()))
}
