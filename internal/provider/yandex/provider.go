package yandex

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

// DefaultAPIEndpoint is where the address of every Yandex Cloud service is learnt when a
// store names no apiEndpoint, as ESO and Yandex's SDK default.
const DefaultAPIEndpoint = "api.cloud.yandex.net:443"

// The IDs under which the API endpoint service lists the services this package calls.
const (
	iamEndpointID          = "iam"
	lockboxEndpointID      = "lockbox-payload"
	certificatesEndpointID = "certificate-manager-data"
)

// settings are the fields the two providers' specs share.
type settings struct {
	field       string // e.g. "spec.provider.yandexlockbox"
	apiEndpoint string
	auth        esv1.YandexAuth
	caProvider  *esv1.CertSecretCAProvider
	fetching    *esv1.YandexFetching
}

// service says what differs between Lockbox and Certificate Manager.
type service struct {
	name       string // the key in spec.provider
	item       string // what a remote key names, in messages
	viewerRole string // the role that lets a service account read an item
	endpointID string
	settings   func(*esv1.SecretStoreProvider) *settings
	newClient  func(*session) provider.Client
}

// Provider builds clients of one Yandex Cloud service. Build it with NewLockbox or
// NewCertificateManager.
type Provider struct {
	service service
	// now is the clock of the IAM token cache (tests move it).
	now func() time.Time

	mu sync.Mutex
	// tokens holds one IAM token source per authorized key, API endpoint and CA, shared by
	// every client of every store that uses them.
	tokens map[tokenKey]*credcache.Source
}

// Option configures a Provider.
type Option func(*Provider)

// WithClock sets the clock the IAM token cache reads, for tests.
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

func newProvider(s service, opts []Option) *Provider {
	p := &Provider{service: s, now: time.Now, tokens: map[tokenKey]*credcache.Source{}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// NewLockbox returns the Yandex Lockbox provider (spec.provider.yandexlockbox).
func NewLockbox(opts ...Option) *Provider {
	return newProvider(service{
		name: "yandexlockbox", item: "Lockbox secret", viewerRole: "lockbox.payloadViewer",
		endpointID: lockboxEndpointID,
		settings: func(u *esv1.SecretStoreProvider) *settings {
			if u == nil || u.YandexLockbox == nil {
				return nil
			}
			s := u.YandexLockbox
			return &settings{field: "spec.provider.yandexlockbox", apiEndpoint: s.APIEndpoint, auth: s.Auth, caProvider: s.CAProvider, fetching: s.Fetching}
		},
		newClient: func(s *session) provider.Client { return &LockboxClient{session: s} },
	}, opts)
}

// NewCertificateManager returns the Yandex Certificate Manager provider
// (spec.provider.yandexcertificatemanager).
func NewCertificateManager(opts ...Option) *Provider {
	return newProvider(service{
		name: "yandexcertificatemanager", item: "Certificate Manager certificate",
		viewerRole: "certificate-manager.certificates.downloader", endpointID: certificatesEndpointID,
		settings: func(u *esv1.SecretStoreProvider) *settings {
			if u == nil || u.YandexCertificateManager == nil {
				return nil
			}
			s := u.YandexCertificateManager
			return &settings{field: "spec.provider.yandexcertificatemanager", apiEndpoint: s.APIEndpoint, auth: s.Auth, caProvider: s.CAProvider, fetching: s.Fetching}
		},
		newClient: func(s *session) provider.Client { return &CertificateClient{session: s} },
	}, opts)
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
)

// Name is the provider's key in spec.provider.
func (p *Provider) Name() string { return p.service.name }

// Capabilities says the provider only reads: ESO's Yandex providers do not push either.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient reads the store's authorized key and CA now; the service's address and the
// IAM token are obtained on the first read.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	s := p.service.settings(store.GetSpec().Provider)
	key, err := readAuthorizedKey(ctx, store, kube, namespace, s.field+".auth.authorizedKeySecretRef", *s.auth.AuthorizedKeySecretRef)
	if err != nil {
		return nil, err
	}
	var caPEM []byte
	if s.caProvider != nil {
		name := s.field + ".caProvider.certSecretRef"
		if caPEM, err = provider.SecretKeySetting(ctx, kube, store, namespace, *s.caProvider.CertSecretRef, name); err != nil {
			return nil, err
		}
	}
	api, err := newDialer(s.apiEndpoint, caPEM, s.field)
	if err != nil {
		return nil, err
	}
	sess := &session{
		service: p.service,
		api:     api,
		tokens:  p.tokenSource(api, key, caPEM),
	}
	if f := s.fetching; f != nil && f.ByName != nil {
		sess.folderID = f.ByName.FolderID
	}
	return p.service.newClient(sess), nil
}

// tokenKey tells apart the IAM tokens the provider keeps: those of another key, or the
// same key ID with another private key, or obtained through another endpoint or CA, are
// not shared.
type tokenKey struct {
	apiEndpoint, keyID, serviceAccountID string
	privateKey, ca                       [sha256.Size]byte
}

func (p *Provider) tokenSource(api *dialer, key *authorizedKey, caPEM []byte) *credcache.Source {
	k := tokenKey{apiEndpoint: api.endpoint, keyID: key.ID, serviceAccountID: key.ServiceAccountID,
		privateKey: sha256.Sum256([]byte(key.PrivateKey)), ca: sha256.Sum256(caPEM)}
	p.mu.Lock()
	defer p.mu.Unlock()
	if src, ok := p.tokens[k]; ok {
		return src
	}
	src := credcache.New(iamLogin(api, key, p.now), credcache.WithClock(p.now))
	p.tokens[k] = src
	return src
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: when the authorized key's Secret and the CA's name their namespace.
func (p *Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	s := p.service.settings(store.GetSpec().Provider)
	if s == nil || s.auth.AuthorizedKeySecretRef == nil || s.auth.AuthorizedKeySecretRef.Namespace == nil {
		return false
	}
	return s.caProvider == nil || s.caProvider.CertSecretRef == nil || s.caProvider.CertSecretRef.Namespace != nil
}
