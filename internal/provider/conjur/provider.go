package conjur

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

const specField = "spec.provider.conjur"

// requestTimeout bounds one call to Conjur, so a server that hangs fails the sync.
const requestTimeout = 30 * time.Second

// Provider builds clients for spec.provider.conjur. Build it with New.
type Provider struct {
	// cacheOpts set the token cache's clock in tests.
	cacheOpts []credcache.Option
}

// New returns the Conjur provider.
func New() provider.Provider { return &Provider{} }

// Name returns "conjur", the provider's key in spec.provider.
func (*Provider) Name() string { return "conjur" }

// Capabilities returns ReadOnly: Ferry, like External Secrets Operator, does not push to
// Conjur, whose variables exist only once a policy declares them.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient validates the store, builds its TLS configuration (the CAs of caBundle and
// caProvider, the client certificate of auth.cert) and returns a client. The client logs in
// on its first call and keeps its access token, so build a client once and reuse it.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Conjur
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	pool, err := provider.CertPool(ctx, kube, store, namespace, []byte(spec.CABundle), spec.CAProvider, specField)
	if err != nil {
		return nil, err
	}
	tlsConfig.RootCAs = pool
	if spec.Auth.Cert != nil {
		cert, err := clientCertificate(ctx, kube, store, namespace, spec.Auth.Cert)
		if err != nil {
			return nil, err
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig
	api := &api{
		base: strings.TrimRight(spec.URL, "/"),
		http: &http.Client{Transport: base, Timeout: requestTimeout},
	}
	account, login := loginFor(spec.Auth, &authEnv{store: store, kube: kube, namespace: namespace, api: api})
	api.account = account
	return &Client{api: api, tokens: credcache.New(login, p.cacheOpts...)}, nil
}

// clientCertificate reads auth.cert's certificate and key.
func clientCertificate(ctx context.Context, kube client.Client, store esv1.GenericStore, namespace string, c *esv1.ConjurCert) (tls.Certificate, error) {
	const field = authField + ".cert"
	certPEM, err := provider.SecretKeyValue(ctx, kube, store, namespace, c.ClientCertRef, field+".clientCertRef")
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := provider.SecretKeyValue(ctx, kube, store, namespace, c.ClientKeyRef, field+".clientKeyRef")
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The parser's message never quotes key material.
		return tls.Certificate{}, fmt.Errorf("%s: the client certificate and key do not form a pair: %w", field, err)
	}
	return cert, nil
}
