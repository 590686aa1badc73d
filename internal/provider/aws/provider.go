package aws

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

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
	// bases are the SDK's default configurations, one per region, that every store's
	// configuration copies.
	bases *baseConfigs
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
	p := &Provider{httpClient: awshttp.NewBuildableClient(), chains: &chains{}, bases: &baseConfigs{}}
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

// loadConfig returns the SDK configuration of one store's clients: the process's base
// configuration of the store's region, with the store's retry settings.
func (p *Provider) loadConfig(ctx context.Context, a Access) (aws.Config, error) {
	base, err := p.bases.get(ctx, a.Spec.Region, p.httpClient)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s: loading the AWS SDK configuration: %w", a.Field, err)
	}
	cfg := base.Copy()
	if rs := a.Retry; rs != nil {
		cfg.Retryer = func() aws.Retryer { return newRetryer(rs) }
	}
	return cfg, nil
}

// baseConfigTTL is how long a base configuration is reused before the environment and the
// shared files are read again (a rotated CA bundle, a changed profile).
const baseConfigTTL = 15 * time.Minute

// baseConfigs are the SDK's default configurations of the process, one per region: what
// the environment and the shared files say (credential chain, endpoints, retry mode, CA
// bundle). Loading one per store cost a quarter of a megabyte a store where AWS_CA_BUNDLE
// is set — the SDK parses the bundle into a new certificate pool, and a new HTTP client, at
// every load — and gave every store its own connections.
type baseConfigs struct {
	mu      sync.Mutex
	entries map[string]baseConfig
	now     func() time.Time
}

type baseConfig struct {
	cfg    aws.Config
	loaded time.Time
}

// get returns the base configuration of region, loading it when there is none or it is
// older than baseConfigTTL. A failed load is not kept.
func (b *baseConfigs) get(ctx context.Context, region string, httpClient *awshttp.BuildableClient) (aws.Config, error) {
	now := time.Now
	if b.now != nil {
		now = b.now
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.entries[region]; ok && now().Sub(e.loaded) < baseConfigTTL {
		return e.cfg, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithHTTPClient(httpClient))
	if err != nil {
		return aws.Config{}, err
	}
	if b.entries == nil {
		b.entries = map[string]baseConfig{}
	}
	b.entries[region] = baseConfig{cfg: cfg, loaded: now()}
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
