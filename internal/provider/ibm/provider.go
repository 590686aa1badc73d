package ibm

import (
	"context"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultIAMEndpoint is IBM Cloud IAM, where tokens are issued when the store names no
// iamEndpoint (as ESO and IBM's SDK default).
const DefaultIAMEndpoint = "https://iam.cloud.ibm.com"

// Provider builds IBM Cloud Secrets Manager clients. Build it with New.
type Provider struct {
	http *http.Client
	// cacheOpts set the token cache's clock in tests.
	cacheOpts []credcache.Option
}

// Option configures a Provider.
type Option func(*Provider)

// WithHTTPClient sends every call, to IAM and to Secrets Manager, through hc (tests: an
// in-process server's client).
func WithHTTPClient(hc *http.Client) Option { return func(p *Provider) { p.http = hc } }

// New returns the IBM Cloud Secrets Manager provider.
func New(opts ...Option) *Provider {
	p := &Provider{}
	for _, o := range opts {
		o(p)
	}
	return p
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "ibm" }

// Capabilities says the provider only reads: ESO's IBM provider does not push either.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient builds a client for the store's instance. The API key (or the path of the
// compute resource token) is read now; the IAM token is obtained on the first call.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.IBM
	hc := p.http
	if hc == nil {
		hc = restclient.NewHTTPClient(nil, 0)
	}
	a := &api{serviceURL: strings.TrimSuffix(spec.ServiceURL, "/"), http: hc}
	login, err := loginFor(ctx, store, kube, namespace, a)
	if err != nil {
		return nil, err
	}
	return &Client{api: a, tokens: credcache.New(login, p.cacheOpts...)}, nil
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: a compute resource token is the pod's own, and an API key Secret whose
// namespace the ref names is the same Secret for every namespace.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.IBM
	if spec == nil {
		return false
	}
	if spec.Auth.ContainerAuth != nil {
		return true
	}
	ref := spec.Auth.SecretRef
	return ref != nil && ref.SecretAPIKeySecretRef != nil && ref.SecretAPIKeySecretRef.Namespace != nil
}
