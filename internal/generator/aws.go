package generator

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// AWSSessions builds AWS SDK configurations with the AWS provider's configuration and
// credential code, so generators authenticate exactly as an AWS SecretStore does, and share
// its credential chains; aws.NewSessions returns one.
type AWSSessions interface {
	// ValidateAccess checks an access's region, auth and roles as written.
	ValidateAccess(a identity.AWS) error
	// Config returns the SDK configuration, with credentials, of an access.
	Config(ctx context.Context, a identity.AWS, kube client.Client, namespace string) (aws.Config, error)
	// Endpoint is the URL every AWS client must use, or "" to let the SDK resolve it.
	Endpoint() string
	// STS returns an STS client of cfg.
	STS(cfg aws.Config) *sts.Client
}

// awsConfig returns the SDK configuration of a generator's region, role and auth, read as
// the kind's generator used in namespace (the ExternalSecret's): the Secrets and
// ServiceAccount its auth names must be there, even for a ClusterGenerator. Errors name the
// generator's own fields (spec.auth, spec.role, spec.region).
func awsConfig(ctx context.Context, sessions AWSSessions, kind string, spec *esv1.AWSProvider,
	kube client.Client, namespace string) (aws.Config, error) {
	access := identity.AWS{
		For:   provider.GeneratorUse{Kind: kind, Namespace: namespace},
		Field: "spec",
		Spec:  spec,
	}
	if err := sessions.ValidateAccess(access); err != nil {
		return aws.Config{}, invalid(err)
	}
	return sessions.Config(ctx, access, kube, namespace)
}
