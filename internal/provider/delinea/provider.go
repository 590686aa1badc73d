package delinea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

const specField = "spec.provider.delinea"

// DSV's default tenant URL: tenant, top-level domain, resource, path.
const (
	defaultTLD         = "com"
	defaultURLTemplate = "https://%s.secretsvaultcloud.%s/v1/%s%s"
)

// requestTimeout bounds one call to DSV, so a server that hangs fails the sync.
const requestTimeout = 30 * time.Second

// Provider builds clients for spec.provider.delinea. Build it with New.
type Provider struct {
	// cacheOpts set the token cache's clock in tests.
	cacheOpts []credcache.Option
}

// New returns the Delinea DevOps Secrets Vault provider.
func New() provider.Provider { return &Provider{} }

// Name returns "delinea", the provider's key in spec.provider.
func (*Provider) Name() string { return "delinea" }

// Capabilities returns ReadOnly: DSV is read, as External Secrets Operator reads it.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient validates the store and returns a client that logs in on its first call.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Delinea
	clientID, err := provider.InlineOrSecret(ctx, kube, store, namespace, spec.ClientID, specField+".clientId")
	if err != nil {
		return nil, err
	}
	clientSecret, err := provider.InlineOrSecret(ctx, kube, store, namespace, spec.ClientSecret, specField+".clientSecret")
	if err != nil {
		return nil, err
	}
	a := &api{tenant: spec.Tenant, tld: spec.TLD, template: spec.URLTemplate,
		http: &http.Client{Timeout: requestTimeout}}
	if a.tld == "" {
		a.tld = defaultTLD
	}
	if a.template == "" {
		a.template = defaultURLTemplate
	}
	return &Client{api: a, tokens: credcache.New(a.login(clientID, clientSecret), p.cacheOpts...)}, nil
}

// ValidateStore checks the store's DSV configuration as written, without any call. Each
// error names the offending field path.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Delinea == nil {
		return fmt.Errorf("%s: required", specField)
	}
	d := spec.Provider.Delinea
	var errs []error
	if d.Tenant == "" {
		errs = append(errs, fmt.Errorf("%s.tenant: required", specField))
	}
	errs = append(errs, provider.ValidateInlineOrSecret(store, d.ClientID, specField+".clientId")...)
	errs = append(errs, provider.ValidateInlineOrSecret(store, d.ClientSecret, specField+".clientSecret")...)
	if d.URLTemplate != "" {
		if n := strings.Count(d.URLTemplate, "%s"); n != 4 || strings.Count(d.URLTemplate, "%") != 4 {
			errs = append(errs, fmt.Errorf("%s.urlTemplate: must hold exactly four %%s (tenant, tld, resource, path), as %q does", specField, defaultURLTemplate))
		} else if u, err := url.Parse(fmt.Sprintf(d.URLTemplate, "tenant", "com", "secrets", "/p")); err != nil ||
			(u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s.urlTemplate: does not make an http(s) URL", specField))
		}
	}
	return errors.Join(errs...)
}

var _ provider.NamespaceIndependent = (*Provider)(nil)

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: each credential is inline or in a Secret whose namespace the ref names.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Delinea
	return spec != nil && provider.InlineOrSecretFixed(spec.ClientID) && provider.InlineOrSecretFixed(spec.ClientSecret)
}
