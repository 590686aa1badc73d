package onboardbase

import (
	"context"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultAPIHost is Onboardbase's public API, used when a store leaves apiHost empty (the
// CRD defaults it to the same address).
const DefaultAPIHost = "https://public.onboardbase.com/api/v1/"

// Provider builds Onboardbase clients. Build it with New.
type Provider struct {
	http *http.Client
}

// Option configures a Provider.
type Option func(*Provider)

// WithHTTPClient sends every call through hc (tests: an in-process server's client).
func WithHTTPClient(hc *http.Client) Option { return func(p *Provider) { p.http = hc } }

// New returns the Onboardbase provider.
func New(opts ...Option) *Provider {
	p := &Provider{}
	for _, o := range opts {
		o(p)
	}
	return p
}

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
	_ provider.BatchReader          = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "onboardbase" }

// Capabilities says the provider only reads: ESO's Onboardbase provider pushes nothing
// either (its PushSecret and DeleteSecret do nothing and report success).
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// NewClient builds a client for the store's project environment. The API key and the
// passcode are read from their Secrets now; no call is made until the first read.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Onboardbase
	creds, err := readCredentials(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	hc := p.http
	if hc == nil {
		hc = restclient.NewHTTPClient(nil, 0)
	}
	c := &Client{
		api:     &restclient.Client{Service: "onboardbase", BaseURL: apiBase(spec.APIHost), HTTP: hc, Message: errorMessage, Header: userAgent},
		creds:   creds,
		project: spec.Project, environment: spec.Environment,
	}
	c.Batch = flatscope.Batch{ReadAll: c.readEnvironment}
	return c, nil
}

// SameForEveryNamespace reports whether a ClusterSecretStore's clients are the same
// whatever namespace they act for: both Secret references name their namespace.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Onboardbase
	if spec == nil {
		return false
	}
	named := func(ns *string) bool { return ns != nil && *ns != "" }
	return named(spec.Auth.APIKeyRef.Namespace) && named(spec.Auth.PasscodeRef.Namespace)
}

// apiBase returns the store's apiHost (Onboardbase's public API when empty) without its
// trailing slash; the API's paths are appended to it.
func apiBase(apiHost string) string {
	if apiHost == "" {
		apiHost = DefaultAPIHost
	}
	return strings.TrimSuffix(apiHost, "/")
}

func userAgent(h http.Header) { h.Set("User-Agent", "ferry") }
