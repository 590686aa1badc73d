package infisical

import (
	"context"
	"path"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultHostAPI is Infisical Cloud's API, ESO's default hostAPI.
const DefaultHostAPI = "https://app.infisical.com/api"

// Provider builds Infisical clients. Build it with New.
type Provider struct {
	transport restclient.Transport
}

// New returns the Infisical provider. Tests pass restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.Writer      = (*Client)(nil)
	_ provider.BatchReader = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "infisical" }

// Capabilities says the provider reads and writes.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient builds a client for the store's scope; the login happens on the first call.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Infisical
	hc, err := p.transport.Client(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, field)
	if err != nil {
		return nil, err
	}
	api := &restclient.Client{Service: "infisical", BaseURL: apiBase(spec.HostAPI), HTTP: hc, Message: errorMessage}
	login, err := loginFor(ctx, store, kube, namespace, api)
	if err != nil {
		return nil, err
	}
	scope := spec.SecretsScope
	c := &Client{
		api: api, token: restclient.NewToken(login),
		project: scope.ProjectSlug, environment: scope.EnvironmentSlug, folder: folderOf(scope.SecretsPath),
		recursive: scope.Recursive, expand: scope.ExpandSecretReferences == nil || *scope.ExpandSecretReferences,
	}
	c.Batch = flatscope.Batch{ReadAll: c.readFolder}
	return c, nil
}

// apiBase returns hostAPI (default Infisical Cloud) ending in /api, as Infisical's SDK
// normalises it.
func apiBase(hostAPI string) string {
	if hostAPI == "" {
		hostAPI = DefaultHostAPI
	}
	hostAPI = strings.TrimSuffix(hostAPI, "/")
	if !strings.HasSuffix(hostAPI, "/api") {
		hostAPI += "/api"
	}
	return hostAPI
}

func folderOf(p string) string {
	if p == "" {
		return "/"
	}
	return path.Clean("/" + p)
}
