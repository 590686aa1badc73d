package aws

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Provider builds clients for spec.provider.aws. Build it with New.
type Provider struct {
	endpoint string
	// httpClient is shared by every client the provider builds, so all stores draw on one
	// pool of connections.
	httpClient *awshttp.BuildableClient
	// chains are the credential chains shared by every client, change feed and generator
	// that resolves the same one.
	chains *chains
}

// Option configures a Provider.
type Option func(*Provider)

// WithEndpoint sends every call (Secrets Manager, Parameter Store, Certificate Manager, the
// Resource Groups Tagging API and STS) to url, ahead of
// any endpoint environment variable. It is meant for tests and local emulators.
func WithEndpoint(url string) Option {
	return func(p *Provider) { p.endpoint = url }
}

// New returns the AWS provider. Without options it reaches AWS's public endpoints, or those
// named by AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, and External Secrets Operator's
// AWS_SECRETSMANAGER_ENDPOINT, AWS_SSM_ENDPOINT, AWS_ACM_ENDPOINT,
// AWS_RESOURCE_GROUPS_TAGGING_API_ENDPOINT and AWS_STS_ENDPOINT.
func New(opts ...Option) provider.Provider {
	p := &Provider{httpClient: awshttp.NewBuildableClient(), chains: &chains{}}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Name returns "aws", the provider's key in spec.provider.
func (p *Provider) Name() string { return "aws" }

// Capabilities returns ReadWrite: every service can be read and pushed to.
func (p *Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads the Secrets or ServiceAccount its auth names
// (through kube, for objects in namespace) and returns a client for its service. AWS
// credentials are fetched on the client's first call and cached until shortly before they
// expire, so build a client once and reuse it.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.AWS
	cfg, err := p.Config(ctx, StoreAccess(store), kube, namespace)
	if err != nil {
		return nil, err
	}
	identity := sts.NewFromConfig(cfg, p.stsOptions)
	switch spec.Service {
	case esv1.AWSServiceCertificateManager:
		return &certificateManager{
			api:      acm.NewFromConfig(cfg, p.acmOptions),
			tagging:  resourcegroupstaggingapi.NewFromConfig(cfg, p.taggingOptions),
			identity: identity,
			prefix:   spec.Prefix,
			exports:  newExportCache(),
			arns:     newARNCache(),
		}, nil
	case esv1.AWSServiceParameterStore:
		return &parameterStore{
			api:      ssm.NewFromConfig(cfg, p.ssmOptions),
			identity: identity,
			prefix:   spec.Prefix,
		}, nil
	default:
		return &secretsManager{
			api:       secretsmanager.NewFromConfig(cfg, p.secretsManagerOptions),
			identity:  identity,
			prefix:    spec.Prefix,
			deletions: spec.SecretsManager,
		}, nil
	}
}

var _ provider.NamespaceIndependent = (*Provider)(nil)

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: every Secret and ServiceAccount its auth reads names its namespace (or the
// store uses the SDK's default credentials), and no session tag names the namespace.
func (p *Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.AWS
	if spec == nil || spec.SessionTagsPolicy == sessionTagsSimple || spec.SessionTagsPolicy == sessionTagsCustom {
		return false
	}
	named := func(ns *string) bool { return ns != nil && *ns != "" }
	switch auth := spec.Auth; {
	case auth.JWTAuth != nil:
		return auth.JWTAuth.ServiceAccountRef != nil && named(auth.JWTAuth.ServiceAccountRef.Namespace)
	case auth.SecretRef != nil:
		return named(auth.SecretRef.AccessKeyID.Namespace) && named(auth.SecretRef.SecretAccessKey.Namespace) &&
			(auth.SecretRef.SessionToken == nil || named(auth.SecretRef.SessionToken.Namespace))
	default:
		return true
	}
}

// loadConfig builds the SDK configuration shared by every client of one store: region,
// retries, and the default credential chain (replaced later when the store sets auth).
func (p *Provider) loadConfig(ctx context.Context, a Access) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(a.Spec.Region),
		config.WithHTTPClient(p.httpClient),
	}
	if rs := a.Retry; rs != nil {
		opts = append(opts, config.WithRetryer(func() aws.Retryer { return newRetryer(rs) }))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s: loading the AWS SDK configuration: %w", a.Field, err)
	}
	return cfg, nil
}

// Endpoint variables of External Secrets Operator, honoured for compatibility on top of the
// SDK's own AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
const (
	envSecretsManagerEndpoint = "AWS_SECRETSMANAGER_ENDPOINT"
	envSSMEndpoint            = "AWS_SSM_ENDPOINT"
	envSTSEndpoint            = "AWS_STS_ENDPOINT"
	envACMEndpoint            = "AWS_ACM_ENDPOINT"
	envTaggingEndpoint        = "AWS_RESOURCE_GROUPS_TAGGING_API_ENDPOINT"
)

// baseEndpoint returns the endpoint a service's client must use, or nil to let the SDK
// resolve it.
func (p *Provider) baseEndpoint(envVar string) *string {
	if p.endpoint != "" {
		return aws.String(p.endpoint)
	}
	if url := os.Getenv(envVar); url != "" {
		return aws.String(url)
	}
	return nil
}

func (p *Provider) secretsManagerOptions(o *secretsmanager.Options) {
	if url := p.baseEndpoint(envSecretsManagerEndpoint); url != nil {
		o.BaseEndpoint = url
	}
}

func (p *Provider) ssmOptions(o *ssm.Options) {
	if url := p.baseEndpoint(envSSMEndpoint); url != nil {
		o.BaseEndpoint = url
	}
}

func (p *Provider) acmOptions(o *acm.Options) {
	if url := p.baseEndpoint(envACMEndpoint); url != nil {
		o.BaseEndpoint = url
	}
}

func (p *Provider) taggingOptions(o *resourcegroupstaggingapi.Options) {
	if url := p.baseEndpoint(envTaggingEndpoint); url != nil {
		o.BaseEndpoint = url
	}
}

func (p *Provider) stsOptions(o *sts.Options) {
	if url := p.baseEndpoint(envSTSEndpoint); url != nil {
		o.BaseEndpoint = url
	}
}

// newRetryer applies spec.retrySettings: maxRetries counts retries, not attempts, and
// retryInterval replaces the SDK's exponential backoff with a fixed wait.
func newRetryer(rs *esv1.SecretStoreRetrySettings) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		if rs.MaxRetries != nil {
			o.MaxAttempts = int(*rs.MaxRetries) + 1
		}
		if rs.RetryInterval != nil {
			if d, err := parseInterval(*rs.RetryInterval); err == nil {
				o.Backoff = fixedBackoff(d)
			}
		}
	})
}
