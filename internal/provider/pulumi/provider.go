package pulumi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultAPIURL is Pulumi Cloud's ESC API, used when the store sets no apiUrl (the CRD's
// default too).
const DefaultAPIURL = "https://api.pulumi.com/api/esc"

// Provider builds Pulumi ESC clients. Build it with New.
type Provider struct {
	now func() time.Time
}

// New returns the Pulumi ESC provider.
func New() *Provider { return &Provider{now: time.Now} }

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "pulumi" }

// Capabilities says the provider reads and writes: PushSecret sets values in the
// environment's definition, as ESO's does.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads the access token (or prepares the OIDC login) and
// returns a client of the store's environment.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Pulumi
	base := strings.TrimSuffix(spec.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	api := &restclient.Client{Service: "pulumi-esc", BaseURL: base, HTTP: restclient.NewHTTPClient(nil, 0),
		Message: errorMessage, Header: headers}
	token, tokenField, err := p.credential(ctx, store, kube, namespace, api)
	if err != nil {
		return nil, err
	}
	c := &Client{
		api:        api,
		token:      token,
		envPath:    "/environments/" + url.PathEscape(spec.Organization) + "/" + url.PathEscape(spec.Project) + "/" + url.PathEscape(spec.Environment),
		envName:    spec.Organization + "/" + spec.Project + "/" + spec.Environment,
		tokenField: tokenField,
		now:        p.now,
	}
	c.session = credcache.New(c.open, credcache.WithClock(p.now))
	return c, nil
}

// headers sets the media type Pulumi's REST API asks every request for.
func headers(h http.Header) {
	h.Set("Accept", "application/vnd.pulumi+8")
	h.Set("User-Agent", "ferry")
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: the token's Secret, or the OIDC ServiceAccount, names its namespace.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Pulumi
	if spec == nil {
		return false
	}
	fixed := func(ns *string) bool { return ns != nil && *ns != "" }
	ref, _, err := tokenRef(spec)
	switch {
	case err != nil:
		return false
	case ref == nil: // OIDC
		return fixed(spec.Auth.OIDCConfig.ServiceAccountRef.Namespace)
	}
	return ref.SecretRef != nil && fixed(ref.SecretRef.Namespace)
}
