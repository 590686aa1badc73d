package vault

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
)

const specField = "spec.provider.vault"

// timeNow is the clock of token sources.
var timeNow = time.Now

// Provider builds clients for spec.provider.vault. Build it with New.
type Provider struct{}

// New returns the Vault provider.
func New() provider.Provider { return &Provider{} }

// Name returns "vault", the provider's key in spec.provider.
func (*Provider) Name() string { return "vault" }

// Capabilities returns ReadWrite: KV secrets can be read and pushed to.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, builds its TLS configuration (reading CA and client
// certificates from Secrets or ConfigMaps through kube, for objects in namespace) and
// returns a client. The client logs in on its first call and keeps its token, so build a
// client once and reuse it.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	return newKVClient(ctx, vaultStoreConfig(store), store, kube, namespace)
}

// vaultStoreConfig is what a validated Vault store's clients are built from.
func vaultStoreConfig(store esv1.GenericStore) storeConfig {
	return storeConfig{spec: store.GetSpec().Provider.Vault, field: specField, product: "vault"}
}

// storeConfig is what a KV client is built from: a Vault store's settings (or an OpenBao
// store's, carried over to the same shape) and how messages name them.
type storeConfig struct {
	spec *esv1.VaultProvider
	// field is the path of the provider block in messages, e.g. spec.provider.vault.
	field string
	// product names the server in messages: "vault" or "openbao".
	product string
	// listsKV1 lets dataFrom.find list a KV v1 engine, as ESO's OpenBao provider does
	// (its Vault provider refuses).
	listsKV1 bool
	// versionField, when set, makes Validate check that the mount is KV of the store's
	// version, as ESO's OpenBao provider does, and names the field to change.
	versionField string
}

func newKVClient(ctx context.Context, cfg storeConfig, store esv1.GenericStore, kube client.Client, namespace string) (*kvClient, error) {
	spec := cfg.spec
	tlsConfig, err := clientTLS(ctx, spec, cfg.field, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig
	t := &transport{
		product:             cfg.product,
		server:              strings.TrimRight(spec.Server, "/"),
		http:                &http.Client{Transport: base, Timeout: 60 * time.Second},
		headers:             spec.Headers,
		forwardInconsistent: spec.ForwardInconsistent,
		readYourWrites:      spec.ReadYourWrites,
	}
	storeNamespace := deref(spec.Namespace)
	env := &authEnv{store: store, kube: kube, namespace: namespace, transport: t, loginNamespace: storeNamespace,
		field: cfg.field + ".auth"}
	if spec.Auth != nil && spec.Auth.Namespace != nil {
		env.loginNamespace = *spec.Auth.Namespace
	}
	tokens, err := newTokenSource(ctx, spec.Auth, env)
	if err != nil {
		t.close()
		return nil, err
	}
	return &kvClient{
		listsKV1:     cfg.listsKV1,
		versionField: cfg.versionField,
		checkAndSet:  spec.CheckAndSet != nil && spec.CheckAndSet.Required,
		conn: &conn{
			transport: t,
			tokens:    tokens,
			namespace: storeNamespace,
			layout:    layout{mount: strings.Trim(deref(spec.Path), "/"), v2: spec.Version != esv1.VaultKVStoreV1},
		},
	}, nil
}

// clientTLS returns the TLS configuration of a store: the CAs that verify Vault, and the
// client certificate of spec.tls or of the cert auth method.
func clientTLS(ctx context.Context, spec *esv1.VaultProvider, providerField string, store esv1.GenericStore, kube client.Client, namespace string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	pool, err := provider.CertPool(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, providerField)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	var certRef, keyRef *esv1.SecretKeySelector
	var field string
	switch {
	case spec.Auth != nil && spec.Auth.Cert != nil:
		certRef, keyRef, field = &spec.Auth.Cert.ClientCert, &spec.Auth.Cert.SecretRef, authField+".cert"
	case spec.ClientTLS != nil && spec.ClientTLS.CertSecretRef != nil && spec.ClientTLS.KeySecretRef != nil:
		certRef, keyRef, field = spec.ClientTLS.CertSecretRef, spec.ClientTLS.KeySecretRef, specField+".tls"
	}
	if certRef == nil {
		return cfg, nil
	}
	certPEM, err := provider.SecretKeyValue(ctx, kube, store, namespace, *certRef, field+".clientCert")
	if err != nil {
		return nil, err
	}
	keyPEM, err := provider.SecretKeyValue(ctx, kube, store, namespace, *keyRef, field+".secretRef")
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The parser's message never quotes key material.
		return nil, fmt.Errorf("%s: the client certificate and key do not form a pair: %w", field, err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
