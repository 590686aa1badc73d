package restclient

import (
	"context"
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Transport is how a plain-HTTP provider reaches its API: through one HTTP client given up
// front (tests: an in-process server's), or through a client built for each store from its
// CA settings. A provider keeps one and is built with its Options.
type Transport struct {
	fixed *http.Client
}

// Option configures a Transport.
type Option func(*Transport)

// WithHTTPClient sends every call through hc instead of a client built from the store's
// CA settings.
func WithHTTPClient(hc *http.Client) Option { return func(t *Transport) { t.fixed = hc } }

// NewTransport returns the Transport opts describe.
func NewTransport(opts ...Option) Transport {
	var t Transport
	for _, o := range opts {
		o(&t)
	}
	return t
}

// Client returns the HTTP client of a store: the one given up front, or one that trusts the
// store's caBundle and caProvider (the system's roots when neither is set). field names the
// provider's block in errors.
func (t Transport) Client(ctx context.Context, kube client.Client, store esv1.GenericStore, namespace string,
	caBundle []byte, caProvider *esv1.CAProvider, field string) (*http.Client, error) {
	if t.fixed != nil {
		return t.fixed, nil
	}
	pool, err := provider.CertPool(ctx, kube, store, namespace, caBundle, caProvider, field)
	if err != nil {
		return nil, err
	}
	return NewHTTPClient(pool, 0), nil
}
