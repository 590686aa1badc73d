package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// NewSessions returns the AWS provider for callers outside the provider contract that
// need its configuration and credential code, such as the ECRAuthorizationToken and
// STSSessionToken generators. opts are those of New.
func NewSessions(opts ...Option) *Provider {
	return New(opts...).(*Provider)
}

// Access is what an AWS identity is built from, wherever it is written: a store's
// spec.provider.aws (StoreAccess), or a generator's region, role and auth.
type Access = identity.AWS

// StoreAccess is the Access a store's spec.provider.aws describes.
func StoreAccess(store esv1.GenericStore) Access {
	spec := store.GetSpec()
	return Access{For: store, Field: specField, Spec: spec.Provider.AWS, Retry: spec.RetrySettings}
}

// ValidateAccess checks an Access's region, auth and roles as written, without any call.
// Each error names the offending field under a.Field.
func (p *Provider) ValidateAccess(a Access) error {
	var errs []error
	if a.Spec.Region == "" {
		errs = append(errs, fmt.Errorf("%s.region: required", a.Field))
	}
	errs = append(errs, validateAuth(a)...)
	errs = append(errs, validateRoles(a)...)
	if err := validateRetry(a.Retry); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Config returns the SDK configuration of a: region, retries and the credentials that its
// auth, additionalRoles and role resolve to, each link cached until shortly before it
// expires and shared with every other Access that resolves to the same chain.
func (p *Provider) Config(ctx context.Context, a Access, kube client.Client, namespace string) (aws.Config, error) {
	cfg, err := p.loadConfig(ctx, a)
	if err != nil {
		return aws.Config{}, err
	}
	creds, err := p.credentials(ctx, cfg, a, kube, namespace)
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
