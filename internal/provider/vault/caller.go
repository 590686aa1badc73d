package vault

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Caller sends requests to any path of the Vault server that a store's spec.provider.vault
// configures, with the provider's TLS, header and auth code. The VaultDynamicSecret
// generator uses it; build it with NewCaller.
type Caller struct {
	provider *Provider
}

// NewCaller returns a Caller.
func NewCaller() *Caller { return &Caller{provider: &Provider{}} }

// ValidateStore checks the store's spec.provider.vault as written.
func (c *Caller) ValidateStore(store esv1.GenericStore) error { return c.provider.ValidateStore(store) }

// Call logs in with the store's auth, sends method to /v1/path with query and, when not
// nil, body as JSON, and returns Vault's answer, empty when it had no body. Each call logs
// in anew: a generator runs only when its ExternalSecret syncs, so there is no token worth
// keeping between calls.
func (c *Caller) Call(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	method, path string, query url.Values, body any) (json.RawMessage, error) {
	cl, err := c.provider.NewClient(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	defer func() { _ = cl.Close(ctx) }()
	kv, ok := cl.(*kvClient)
	if !ok {
		return nil, errors.New("vault: the provider returned a client of an unexpected type")
	}
	var answer json.RawMessage
	if err := kv.conn.call(ctx, request{method: method, path: path, query: query, body: body}, &answer); err != nil {
		return nil, err
	}
	return answer, nil
}
