package keepersecurity

import (
	"context"
	"crypto/ecdh"
	"errors"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/redact"
)

// Provider builds Keeper Secrets Manager clients. Build it with New.
type Provider struct {
	transport restclient.Transport
	// serverKeys are Keeper's server keys by id; tests give the key pair of their
	// in-process server instead.
	serverKeys map[string]*ecdh.PublicKey
}

// New returns the Keeper Secrets Manager provider; restclient.WithHTTPClient sends every
// call through one HTTP client instead of one trusting the system's roots.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...), serverKeys: knownServerKeys()}
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "keepersecurity" }

// Capabilities says the provider reads and pushes, as ESO's does.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient reads and checks the Secrets Manager configuration now, so that a malformed
// one fails the store; Keeper is first called on the first read.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.KeeperSecurity
	authField := field + ".authRef"
	raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.AuthRef, authField)
	if err != nil {
		return nil, err
	}
	redact.RememberCredential(raw)
	if len(raw) == 0 {
		return nil, errors.New(authField + ": the Secret's key is empty; put the Secrets Manager configuration (base64 JSON) in it")
	}
	creds, err := parseConfig(raw, authField)
	if err != nil {
		return nil, err
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, nil, nil, field)
	if err != nil {
		return nil, err
	}
	return &Client{
		api:             &api{http: hc, creds: creds, serverKeys: p.serverKeys, keyID: creds.serverKeyID},
		byTitleFallback: spec.GetByTitleFallback,
		folderID:        strings.TrimSpace(spec.FolderID),
	}, nil
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: when authRef names its namespace, every namespace reads the same
// configuration.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.KeeperSecurity
	return spec != nil && spec.AuthRef.Namespace != nil
}
