package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// NewSessions returns the AWS provider for callers outside the provider contract that
// need its configuration and credential code, such as the ECRAuthorizationToken and
// STSSessionToken generators. opts are those of New.
func NewSessions(opts ...Option) *Provider {
	return New(opts...).(*Provider)
}

// SessionConfig returns the SDK configuration a client of store uses: region, retries and
// the credentials that spec.provider.aws's auth, additionalRoles and role resolve to, each
// link cached until shortly before it expires.
func (p *Provider) SessionConfig(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (aws.Config, error) {
	cfg, err := p.loadConfig(ctx, store.GetSpec())
	if err != nil {
		return aws.Config{}, err
	}
	creds, err := p.credentials(ctx, cfg, store, kube, namespace)
	if err != nil {
		return aws.Config{}, err
	}
	cfg.Credentials = creds
	return cfg, nil
}

// Endpoint returns the URL set with WithEndpoint, or "" when the SDK resolves endpoints.
func (p *Provider) Endpoint() string { return p.endpoint }

// STS returns an STS client of cfg that honours WithEndpoint and AWS_STS_ENDPOINT, as the
// provider's own STS calls do.
func (p *Provider) STS(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, p.stsOptions)
}
