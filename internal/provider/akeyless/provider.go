package akeyless

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const (
	specField = "spec.provider.akeyless"
	authField = specField + ".authSecretRef"
)

// defaultAPIURL is Akeyless's public API, used when akeylessGWApiURL is empty (as ESO).
const defaultAPIURL = "https://api.akeyless.io"

// Provider builds clients for spec.provider.akeyless. Build it with New.
type Provider struct {
	// cacheOpts set the token cache's clock in tests.
	cacheOpts []credcache.Option
	// clock sets the time token expiries are read against, in tests; nil is time.Now.
	clock func() time.Time
	// tokenFile replaces Ferry's pod token file in tests.
	tokenFile string
	// loadAWS, azureIMDS and gcpMetadata replace, in tests, where the cloud identities
	// of aws_iam, azure_ad and gcp logins come from (see cloudIdentity).
	loadAWS                func(ctx context.Context) (aws.Config, error)
	azureIMDS, gcpMetadata string
	// entraAuthority and entraHTTP replace Entra ID, in tests, for azure_ad through Azure
	// Workload Identity.
	entraAuthority string
	entraHTTP      *http.Client
}

// New returns the Akeyless provider.
func New() provider.Provider { return &Provider{} }

// Name returns "akeyless", the provider's key in spec.provider.
func (*Provider) Name() string { return "akeyless" }

// Capabilities returns ReadWrite: Ferry reads Akeyless and pushes static secrets.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads its credentials and CA certificates, and returns a
// client that logs in on its first call and keeps its token.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Akeyless
	pool, err := provider.CertPool(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, specField)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(strings.TrimSpace(spec.AkeylessGWAPIURL), "/")
	if base == "" {
		base = defaultAPIURL
	}
	a := &api{base: base, findV2: base != defaultAPIURL, http: restclient.NewHTTPClient(pool, 0), clock: p.clock}
	login, err := p.loginFor(ctx, store, kube, namespace, a)
	if err != nil {
		return nil, err
	}
	return &Client{api: a, tokens: credcache.New(login, p.cacheOpts...), ignoreCache: spec.IgnoreCache,
		types: newItemTypes(p.clock)}, nil
}
