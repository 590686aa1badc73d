package secretserver

import (
	"context"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const specField = "spec.provider.secretserver"

// Provider builds clients for spec.provider.secretserver. Build it with New.
type Provider struct {
	transport restclient.Transport
	// cacheOpts set the token cache's clock in tests.
	cacheOpts []credcache.Option
}

var _ provider.Provider = (*Provider)(nil)

// New returns the Delinea Secret Server provider. Tests pass restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

// Name returns "secretserver", the provider's key in spec.provider.
func (*Provider) Name() string { return "secretserver" }

// Capabilities returns ReadWrite: Ferry reads Secret Server and pushes to it.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads its credentials and CA, and returns a client that
// logs in on its first call (or uses the store's token as it is).
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.SecretServer
	hc, err := p.transport.Client(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, specField)
	if err != nil {
		return nil, err
	}
	api := &restclient.Client{Service: "secret server", BaseURL: strings.TrimSuffix(spec.ServerURL, "/"), HTTP: hc, Message: errorMessage}
	c := &Client{api: api}
	if spec.Token != nil {
		token, err := credential(ctx, kube, store, namespace, spec.Token, specField+".token")
		if err != nil {
			return nil, err
		}
		c.tokens = fixedToken(token)
		return c, nil
	}
	username, err := credential(ctx, kube, store, namespace, spec.Username, specField+".username")
	if err != nil {
		return nil, err
	}
	password, err := credential(ctx, kube, store, namespace, spec.Password, specField+".password")
	if err != nil {
		return nil, err
	}
	c.tokens = credcache.New(passwordGrant(api, username, password, spec.Domain), p.cacheOpts...)
	return c, nil
}

// credential reads one of the store's credentials: inline or from a Secret.
func credential(ctx context.Context, kube client.Client, store esv1.GenericStore, namespace string,
	c *esv1.SecretServerCredential, field string) (string, error) {
	return provider.InlineOrSecret(ctx, kube, store, namespace, inlineOrSecret(c), field)
}

func inlineOrSecret(c *esv1.SecretServerCredential) esv1.InlineOrSecretValue {
	if c == nil {
		return esv1.InlineOrSecretValue{}
	}
	return esv1.InlineOrSecretValue{Value: c.Value, SecretRef: c.SecretRef}
}

var _ provider.NamespaceIndependent = (*Provider)(nil)

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: each credential it uses is inline or in a Secret whose namespace the ref
// names. With a token, the username and password are not used, as in ESO.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.SecretServer
	if spec == nil {
		return false
	}
	if spec.Token != nil {
		return provider.InlineOrSecretFixed(inlineOrSecret(spec.Token))
	}
	return provider.InlineOrSecretFixed(inlineOrSecret(spec.Username)) && provider.InlineOrSecretFixed(inlineOrSecret(spec.Password))
}
