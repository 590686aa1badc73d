package scaleway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultAPIURL is Scaleway's API, used when the store sets no apiUrl.
const DefaultAPIURL = "https://api.scaleway.com"

// Provider builds Scaleway Secret Manager clients. Build it with New.
type Provider struct {
	transport restclient.Transport
}

// New returns the Scaleway provider. Tests pass restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
	_ provider.Writer               = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "scaleway" }

// Capabilities says the provider reads and writes, as External Secrets Operator's does.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads its keys and returns a client. The access key is
// read, as ESO reads it, so that a store naming a missing Secret fails the same way,
// but only the secret key is sent: it is what Scaleway's API authenticates.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Scaleway
	if _, err := provider.InlineOrSecret(ctx, kube, store, namespace, spec.AccessKey, field+".accessKey"); err != nil {
		return nil, err
	}
	secretKey, err := provider.InlineOrSecret(ctx, kube, store, namespace, spec.SecretKey, field+".secretKey")
	if err != nil {
		return nil, err
	}
	if secretKey == "" {
		return nil, errors.New(field + ".secretKey: the value is empty")
	}
	base := strings.TrimSuffix(spec.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, nil, nil, field)
	if err != nil {
		return nil, err
	}
	return &Client{
		api:       &restclient.Client{Service: "scaleway", BaseURL: base, HTTP: hc, Message: errorMessage, Header: userAgent},
		secretKey: secretKey,
		region:    spec.Region,
		projectID: spec.ProjectID,
	}, nil
}

func userAgent(h http.Header) { h.Set("User-Agent", "ferry") }

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: each key is inline or in a Secret whose namespace the ref names.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Scaleway
	return spec != nil && provider.InlineOrSecretFixed(spec.AccessKey) && provider.InlineOrSecretFixed(spec.SecretKey)
}
