package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Provider is the fake provider. Values pushed to a store (PushSecret) are kept in memory,
// per store, for the life of the Provider, and read back like the store's own data.
type Provider struct {
	mu     sync.Mutex
	pushed map[string]map[string]string // store id → key → value
}

// New returns the fake provider.
func New() *Provider { return &Provider{pushed: map[string]map[string]string{}} }

// Name returns "fake".
func (*Provider) Name() string { return "fake" }

// Capabilities returns ReadWrite: values can be pushed to a fake store.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// ValidateStore checks that keys are set and unique per version.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	cfg := store.GetSpec().Provider.Fake
	if cfg == nil {
		return errors.New("spec.provider.fake: missing")
	}
	seen := map[string]bool{}
	for i, d := range cfg.Data {
		if d.Key == "" {
			return fmt.Errorf("spec.provider.fake.data[%d].key: required", i)
		}
		id := d.Key + "\x00" + d.Version
		if seen[id] {
			return fmt.Errorf("spec.provider.fake.data[%d]: key %q with version %q appears twice", i, d.Key, d.Version)
		}
		seen[id] = true
	}
	if r := cfg.ValidationResult; r != nil && *r > esv1.ValidationResultError {
		return fmt.Errorf("spec.provider.fake.validationResult: must be 0, 1 or 2, not %d", *r)
	}
	return nil
}

// NewClient returns a client over a copy of the store's data.
func (p *Provider) NewClient(_ context.Context, store esv1.GenericStore, _ client.Client, _ string) (provider.Client, error) {
	cfg := store.GetSpec().Provider.Fake
	if cfg == nil {
		return nil, errors.New("spec.provider.fake: missing")
	}
	c := &Client{values: map[string]string{}, result: esv1.ValidationResultReady, provider: p,
		store: store.GetKind() + "/" + store.GetNamespace() + "/" + store.GetName()}
	for _, d := range cfg.Data {
		c.values[d.Key+"\x00"+d.Version] = d.Value
		c.keys = append(c.keys, d.Key)
	}
	if cfg.ValidationResult != nil {
		c.result = *cfg.ValidationResult
	}
	return c, nil
}

// Client reads a fake store's values and keeps what is pushed to it.
type Client struct {
	values   map[string]string // key NUL version → value
	keys     []string
	result   esv1.ValidationResult
	provider *Provider
	store    string
}

func (c *Client) value(key, version string) ([]byte, error) {
	if version == "" {
		if v, ok := c.pushedValue(key); ok {
			return []byte(v), nil
		}
	}
	v, ok := c.values[key+"\x00"+version]
	if !ok {
		return nil, provider.NotFound(key)
	}
	return []byte(v), nil
}

func (c *Client) pushedValue(key string) (string, bool) {
	c.provider.mu.Lock()
	defer c.provider.mu.Unlock()
	v, ok := c.provider.pushed[c.store][key]
	return v, ok
}

// PushSecret keeps value under ref.RemoteKey (or under ref.Property of a JSON object there).
func (c *Client) PushSecret(_ context.Context, value []byte, ref provider.PushRef) error {
	c.provider.mu.Lock()
	defer c.provider.mu.Unlock()
	store := c.provider.pushed[c.store]
	if store == nil {
		store = map[string]string{}
		c.provider.pushed[c.store] = store
	}
	if ref.Property == "" {
		store[ref.RemoteKey] = string(value)
		return nil
	}
	obj := map[string]string{}
	if cur, ok := store[ref.RemoteKey]; ok {
		if err := json.Unmarshal([]byte(cur), &obj); err != nil {
			return fmt.Errorf("remote key %q does not hold a JSON object to set property %q in", ref.RemoteKey, ref.Property)
		}
	}
	obj[ref.Property] = string(value)
	out, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	store[ref.RemoteKey] = string(out)
	return nil
}

// DeleteSecret forgets what was pushed at ref.
func (c *Client) DeleteSecret(_ context.Context, ref provider.PushRef) error {
	c.provider.mu.Lock()
	defer c.provider.mu.Unlock()
	store := c.provider.pushed[c.store]
	if ref.Property == "" {
		delete(store, ref.RemoteKey)
		return nil
	}
	obj := map[string]string{}
	if err := json.Unmarshal([]byte(store[ref.RemoteKey]), &obj); err != nil {
		return nil
	}
	delete(obj, ref.Property)
	if len(obj) == 0 {
		delete(store, ref.RemoteKey)
		return nil
	}
	out, _ := json.Marshal(obj)
	store[ref.RemoteKey] = string(out)
	return nil
}

// SecretExists says whether a value was pushed (or configured) at ref.
func (c *Client) SecretExists(_ context.Context, ref provider.PushRef) (bool, error) {
	if _, ok := c.pushedValue(ref.RemoteKey); ok {
		return true, nil
	}
	_, ok := c.values[ref.RemoteKey+"\x00"]
	return ok, nil
}

// GetSecret returns the value of ref.Key at ref.Version, or the property inside it.
func (c *Client) GetSecret(_ context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	v, err := c.value(ref.Key, ref.Version)
	if err != nil || ref.Property == "" {
		return v, err
	}
	return property.Get(v, ref.Property)
}

// GetSecretMap spreads a JSON object value into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets returns the unversioned values whose key matches find's name regexp and
// path prefix. Tags are not supported by the fake provider.
func (c *Client) GetAllSecrets(_ context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("the fake provider has no tags: dataFrom.find.tags is not supported")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, k := range c.keys {
		if !sel.MatchName(k) {
			continue
		}
		if v, err := c.value(k, ""); err == nil {
			out[k] = v
		}
	}
	return out, nil
}

// Validate returns the store's forced validation result.
func (c *Client) Validate(context.Context) (esv1.ValidationResult, error) {
	if c.result == esv1.ValidationResultError {
		return c.result, errors.New("the fake store's validationResult is 2 (error)")
	}
	return c.result, nil
}

// Close does nothing.
func (*Client) Close(context.Context) error { return nil }
