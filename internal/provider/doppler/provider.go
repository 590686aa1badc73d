package doppler

import (
	"context"
	"net/http"
	"os"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultBaseURL is Doppler's API.
const DefaultBaseURL = "https://api.doppler.com"

// baseURLEnv replaces the API's address, as ESO's DOPPLER_BASE_URL does.
const baseURLEnv = "DOPPLER_BASE_URL"

// Provider builds Doppler clients. Build it with New.
type Provider struct {
	baseURL string
	http    *http.Client
}

// Option configures a Provider.
type Option func(*Provider)

// WithBaseURL sends every call to baseURL instead of Doppler's API (an in-process server).
func WithBaseURL(baseURL string) Option { return func(p *Provider) { p.baseURL = baseURL } }

// WithHTTPClient sends every call through hc.
func WithHTTPClient(hc *http.Client) Option { return func(p *Provider) { p.http = hc } }

// New returns the Doppler provider. The API's address is $DOPPLER_BASE_URL when set.
func New(opts ...Option) *Provider {
	p := &Provider{baseURL: DefaultBaseURL}
	if env := os.Getenv(baseURLEnv); env != "" {
		p.baseURL = env
	}
	for _, o := range opts {
		o(p)
	}
	if !strings.Contains(p.baseURL, "://") {
		p.baseURL = "https://" + p.baseURL
	}
	p.baseURL = strings.TrimSuffix(p.baseURL, "/")
	return p
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.Writer      = (*Client)(nil)
	_ provider.BatchReader = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "doppler" }

// Capabilities says the provider reads and writes.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient builds a client for the store's config; credentials are read (or exchanged)
// on the first call and kept.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Doppler
	hc := p.http
	if hc == nil {
		hc = restclient.NewHTTPClient(nil, 0)
	}
	c := &Client{
		api:     &restclient.Client{Service: "doppler", BaseURL: p.baseURL, HTTP: hc, Message: errorMessage, Header: userAgent},
		project: spec.Project, config: spec.Config, format: spec.Format, nameTransformer: spec.NameTransformer,
	}
	token, err := p.token(ctx, store, kube, namespace, c.api)
	if err != nil {
		return nil, err
	}
	c.token = token
	c.Batch = flatscope.Batch{ReadAll: c.readConfig}
	return c, nil
}

func userAgent(h http.Header) { h.Set("User-Agent", "ferry") }
