package onepassword

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const field = "spec.provider.onepassword"

// Provider builds 1Password Connect clients. Build it with New.
type Provider struct {
	transport restclient.Transport
}

// New returns the 1Password Connect provider. Tests pass restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.Writer   = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "onepassword" }

// Capabilities says the provider reads and writes.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// ValidateStore checks the store as written, without any call; errors name the field.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.OnePassword == nil {
		return errors.New(field + ": required")
	}
	op := spec.Provider.OnePassword
	var errs []error
	if !provider.HTTPURL(op.ConnectHost) {
		errs = append(errs, fmt.Errorf("%s.connectHost: %q is not an http(s) URL", field, op.ConnectHost))
	}
	if len(op.Vaults) == 0 {
		errs = append(errs, errors.New(field+".vaults: name at least one vault"))
	}
	seen := map[int]string{}
	for name, order := range op.Vaults {
		if other, ok := seen[order]; ok {
			errs = append(errs, fmt.Errorf("%s.vaults: %q and %q share the order %d; orders must be unique", field, other, name, order))
		}
		seen[order] = name
	}
	errs = append(errs, provider.ValidateSecretKeyRef(store, &op.Auth.SecretRef.ConnectTokenSecretRef, field+".auth.secretRef.connectTokenSecretRef")...)
	return errors.Join(errs...)
}

// NewClient reads the Connect token and builds a client; vaults are resolved on first use.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	op := store.GetSpec().Provider.OnePassword
	token, err := provider.SecretKeyValue(ctx, kube, store, namespace, op.Auth.SecretRef.ConnectTokenSecretRef, field+".auth.secretRef.connectTokenSecretRef")
	if err != nil {
		return nil, err
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, nil, nil, field)
	if err != nil {
		return nil, err
	}
	bearer := "Bearer " + strings.TrimSpace(string(token))
	api := &restclient.Client{Service: "1password connect", BaseURL: strings.TrimSuffix(op.ConnectHost, "/"), HTTP: hc,
		Message: errorMessage, Header: func(h http.Header) { h.Set("Authorization", bearer) }}
	names := make([]string, 0, len(op.Vaults))
	for name := range op.Vaults {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return op.Vaults[names[i]] < op.Vaults[names[j]] })
	return &Client{api: api, vaultNames: names}, nil
}

// errorMessage reads Connect's error body: {"status": 404, "message": ...}.
func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Message
}

// Client reads and writes the items of a store's vaults.
type Client struct {
	api        *restclient.Client
	vaultNames []string // in search order

	mu       sync.Mutex
	vaultIDs map[string]string // name → ID, resolved once
}
