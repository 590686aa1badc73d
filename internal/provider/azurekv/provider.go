package azurekv

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// Provider builds Key Vault clients. The zero value talks to Azure's endpoints.
type Provider struct {
	httpClient    *http.Client
	authorityHost string
	// vaultScope, when set, replaces the token scope derived from the vault's host for
	// certificate reads.
	vaultScope string
}

// Option configures a Provider.
type Option func(*Provider)

// WithHTTPClient makes every call (to the vault and to Entra ID) go through hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(p *Provider) { p.httpClient = hc }
}

// WithAuthorityHost replaces the login endpoint of every store, e.g. with an in-process
// token server. It also turns off instance discovery and the check that a vault's
// authentication challenge names a Key Vault host, which such a server cannot pass.
func WithAuthorityHost(host string) Option {
	return func(p *Provider) { p.authorityHost = host }
}

// WithVaultScope sets the token scope of certificate reads, e.g.
// "https://vault.azure.net/.default", for vaults whose host does not show it (an
// in-process server on an IP address).
func WithVaultScope(scope string) Option {
	return func(p *Provider) { p.vaultScope = scope }
}

// New returns the azurekv provider.
func New(opts ...Option) Provider {
	var p Provider
	for _, o := range opts {
		o(&p)
	}
	return p
}

var (
	_ provider.Provider = Provider{}
	_ provider.Writer   = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (Provider) Name() string { return "azurekv" }

// Capabilities says the provider reads and writes.
func (Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// Access is an Entra ID identity as written: a store's spec.provider.azurekv (StoreAccess),
// or a generator's auth in the same form.
type Access = identity.Azure

// StoreAccess is the Access a store's spec.provider.azurekv describes.
func StoreAccess(store esv1.GenericStore) Access {
	return Access{For: store, Spec: store.GetSpec().Provider.AzureKV}
}

// Credential validates an identity as written and returns its Entra ID credential, built by
// the code every Key Vault store uses. Generators that need an Azure token
// (ACRAccessToken) call it; errors name the fields under spec.provider.azurekv.
func (p Provider) Credential(ctx context.Context, a Access, kube client.Client, namespace string) (azcore.TokenCredential, error) {
	if err := p.ValidateAccess(a); err != nil {
		return nil, err
	}
	return p.credential(ctx, a, kube, namespace)
}

// NewClient builds secret, key and certificate clients for the store's vault, sharing one
// credential.
func (p Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	az := store.GetSpec().Provider.AzureKV
	cred, err := p.credential(ctx, StoreAccess(store), kube, namespace)
	if err != nil {
		return nil, err
	}
	co := p.clientOptions(az)
	vaultURL := strings.TrimSuffix(*az.VaultURL, "/")
	disableVerify := p.authorityHost != ""
	secrets, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: disableVerify})
	if err != nil {
		return nil, fmt.Errorf("%s.vaultUrl: %w", field, err)
	}
	keys, err := azkeys.NewClient(vaultURL, cred, &azkeys.ClientOptions{ClientOptions: co, DisableChallengeResourceVerification: disableVerify})
	if err != nil {
		return nil, fmt.Errorf("%s.vaultUrl: %w", field, err)
	}
	certs, err := newCertificateClient(vaultURL, p.vaultScope, cred, co)
	if err != nil {
		return nil, err
	}
	return &Client{secrets: secrets, keys: keys, certs: certs}, nil
}
