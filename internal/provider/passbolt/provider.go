package passbolt

import (
	"context"
	"errors"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/redact"
)

// Provider builds Passbolt clients. Build it with New.
type Provider struct {
	transport restclient.Transport
	// cacheOpts set the session cache's clock in tests.
	cacheOpts []credcache.Option
}

// New returns the Passbolt provider; restclient.WithHTTPClient sends every call through
// one HTTP client instead of one built from the store's caBundle or caProvider.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "passbolt" }

// Capabilities says the provider only reads: ESO's Passbolt provider does not push either.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient reads the user's private key and passphrase and unlocks the key now, so that a
// wrong passphrase fails the store; the login is made on the first call.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Passbolt
	keyField, passField := field+".auth.privateKeySecretRef", field+".auth.passwordSecretRef"
	armored, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.Auth.PrivateKeySecretRef, keyField)
	if err != nil {
		return nil, err
	}
	passphrase, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.Auth.PasswordSecretRef, passField)
	if err != nil {
		return nil, err
	}
	redact.RememberCredential(passphrase, armored)
	if len(strings.TrimSpace(string(armored))) == 0 {
		return nil, errors.New(keyField + ": the Secret's key is empty; put the Passbolt user's armored private key in it")
	}
	key, err := unlockKey(armored, passphrase, keyField, passField)
	if err != nil {
		return nil, err
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, field)
	if err != nil {
		return nil, err
	}
	a := &api{host: strings.TrimSuffix(spec.Host, "/"), http: hc}
	return &Client{
		api:          a,
		key:          key,
		session:      credcache.New(gpgAuthLogin(a, key), p.cacheOpts...),
		types:        map[string]string{},
		metadataKeys: map[string]openpgp.EntityList{},
	}, nil
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: when both auth references (and a caProvider, if any) name their namespace,
// every namespace reads the same key, passphrase and CA, so one client (and one session)
// serves them all.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Passbolt
	if spec == nil || spec.Auth.PasswordSecretRef.Namespace == nil || spec.Auth.PrivateKeySecretRef.Namespace == nil {
		return false
	}
	return spec.CAProvider == nil || spec.CAProvider.Namespace != nil
}
