package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ferryhq/ferry/internal/provider"
)

var _ provider.Writer = (*kvClient)(nil)

// current returns the secret's data as a JSON object, whether it exists, and whether Ferry
// or ESO created it (KV v2 custom_metadata managed-by=external-secrets; KV v1 keeps no
// metadata, so every KV v1 secret counts as managed).
func (c *kvClient) current(ctx context.Context, key string) (map[string]any, bool, bool, error) {
	data, err := c.data(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return map[string]any{}, false, false, nil
	}
	if err != nil {
		return nil, false, false, err
	}
	obj := map[string]any{}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, false, false, fmt.Errorf("%s secret %q does not hold a JSON object", c.product(), key)
	}
	if !c.conn.layout.v2 {
		return obj, true, true, nil
	}
	meta, err := c.customMetadata(ctx, key)
	if err != nil {
		return nil, false, false, err
	}
	return obj, true, meta[provider.ManagedByTag] == provider.ManagedByValue, nil
}

// PushSecret sets ref.Property of the secret to value, or, without a property, replaces
// the secret's data with value, which must then be a JSON object (a whole Secret pushed as
// JSON). Secrets Ferry creates carry custom_metadata managed-by=external-secrets (KV v2);
// an existing secret without it is left alone. An unchanged secret is not written again.
func (c *kvClient) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "vault"); err != nil {
		return err
	}
	cur, exists, managed, err := c.current(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	if exists && !managed {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	next := map[string]any{}
	if ref.Property == "" {
		if err := json.Unmarshal(value, &next); err != nil {
			return fmt.Errorf("%s secret %q: without remoteRef.property the pushed value must be a JSON object; set a property to push a single value", c.product(), ref.RemoteKey)
		}
	} else {
		for k, v := range cur {
			next[k] = v
		}
		next[ref.Property] = string(value)
	}
	if exists && jsonEqual(cur, next) {
		return nil
	}
	return c.write(ctx, ref.RemoteKey, next, !exists)
}

// write stores data at key; created marks a new secret to tag as managed.
func (c *kvClient) write(ctx context.Context, key string, data map[string]any, created bool) error {
	l := c.conn.layout
	body := any(data)
	if l.v2 {
		body = map[string]any{"data": data}
	}
	if err := c.conn.call(ctx, request{method: http.MethodPut, path: l.dataPath(key), body: body}, nil); err != nil {
		return fmt.Errorf("writing %s secret %q: %w", c.product(), key, err)
	}
	if l.v2 && created {
		meta := map[string]any{"custom_metadata": map[string]string{provider.ManagedByTag: provider.ManagedByValue}}
		if err := c.conn.call(ctx, request{method: http.MethodPost, path: l.metadataPath(key), body: meta}, nil); err != nil {
			return fmt.Errorf("tagging %s secret %q: %w", c.product(), key, err)
		}
	}
	return nil
}

// DeleteSecret removes ref.Property from the secret, or the whole secret (every KV v2
// version and its metadata) when no property is set or none is left.
func (c *kvClient) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	cur, exists, managed, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !exists {
		return err
	}
	if !managed {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		delete(cur, ref.Property)
		if len(cur) > 0 {
			return c.write(ctx, ref.RemoteKey, cur, false)
		}
	}
	l := c.conn.layout
	path := l.dataPath(ref.RemoteKey)
	if l.v2 {
		path = l.metadataPath(ref.RemoteKey)
	}
	if err := c.conn.call(ctx, request{method: http.MethodDelete, path: path}, nil); err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("deleting %s secret %q: %w", c.product(), ref.RemoteKey, err)
	}
	return nil
}

// SecretExists says whether the secret (or its property) exists.
func (c *kvClient) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	cur, exists, _, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !exists || ref.Property == "" {
		return exists, err
	}
	_, ok := cur[ref.Property]
	return ok, nil
}

func jsonEqual(a, b map[string]any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}
