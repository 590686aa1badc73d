package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/ferryhq/ferry/internal/provider"
)

var _ provider.Writer = (*kvClient)(nil)

// pushMetadata is what a PushSecret entry's metadata.spec may say to a KV v2 store, as
// External Secrets Operator's Vault provider reads it.
type pushMetadata struct {
	// CustomMetadata is written to the secret's custom_metadata.
	CustomMetadata map[string]string `json:"customMetadata"`
	// MergePolicy is Merge (the default: keys already on the secret are kept) or Replace
	// (the secret's custom_metadata becomes exactly CustomMetadata).
	MergePolicy string `json:"mergePolicy"`
}

// Merge policies of pushMetadata.
const (
	mergePolicyMerge   = "Merge"
	mergePolicyReplace = "Replace"
)

// decodePushMetadata reads ref's metadata. A KV v1 engine keeps no metadata, so any key
// set there is refused rather than dropped.
func (c *kvClient) decodePushMetadata(ref provider.PushRef) (pushMetadata, error) {
	var meta pushMetadata
	if err := provider.DecodeMetadata(ref, c.product(), &meta); err != nil {
		return meta, err
	}
	switch meta.MergePolicy {
	case "", mergePolicyMerge, mergePolicyReplace:
	default:
		return meta, fmt.Errorf("%w: metadata.spec.mergePolicy: %q: use Merge or Replace", provider.ErrInvalidMetadata, meta.MergePolicy)
	}
	if !c.conn.layout.v2 {
		switch {
		case meta.CustomMetadata != nil:
			return meta, fmt.Errorf("%w: metadata.spec.customMetadata: a KV v1 engine keeps no metadata; use a KV v2 store or remove it", provider.ErrInvalidMetadata)
		case meta.MergePolicy != "":
			return meta, fmt.Errorf("%w: metadata.spec.mergePolicy: a KV v1 engine keeps no metadata; use a KV v2 store or remove it", provider.ErrInvalidMetadata)
		}
	}
	return meta, nil
}

// customMetadataFor returns the custom_metadata a pushed KV v2 secret should carry, given
// what it carries now (nil for a new secret): the managed-by marker always, which no
// metadata may change, and the metadata's keys, merged into the current ones or replacing
// them.
func (m pushMetadata) customMetadataFor(current map[string]string) map[string]string {
	out := map[string]string{}
	if m.MergePolicy != mergePolicyReplace {
		maps.Copy(out, current)
	}
	maps.Copy(out, m.CustomMetadata)
	out[provider.ManagedByTag] = provider.ManagedByValue
	return out
}

// current returns the secret's data as a JSON object, whether it exists, and its KV v2
// custom_metadata (nil for KV v1, which keeps none).
func (c *kvClient) current(ctx context.Context, key string) (map[string]any, bool, map[string]string, error) {
	data, err := c.data(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return map[string]any{}, false, nil, nil
	}
	if err != nil {
		return nil, false, nil, err
	}
	obj := map[string]any{}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, false, nil, fmt.Errorf("%s secret %q does not hold a JSON object", c.product(), key)
	}
	if !c.conn.layout.v2 {
		return obj, true, nil, nil
	}
	meta, err := c.customMetadata(ctx, key)
	if err != nil {
		return nil, false, nil, err
	}
	return obj, true, meta, nil
}

// managed says whether Ferry or ESO created a secret, given its custom_metadata (KV v2
// custom_metadata managed-by=external-secrets; KV v1 keeps no metadata, so every KV v1
// secret counts as managed).
func (c *kvClient) managed(meta map[string]string) bool {
	return !c.conn.layout.v2 || meta[provider.ManagedByTag] == provider.ManagedByValue
}

// PushSecret sets ref.Property of the secret to value, or, without a property, replaces
// the secret's data with value, which must then be a JSON object (a whole Secret pushed as
// JSON). Secrets Ferry creates carry custom_metadata managed-by=external-secrets (KV v2),
// plus the metadata's customMetadata; an existing secret without the marker is left alone.
// Neither an unchanged secret nor unchanged custom_metadata is written again.
func (c *kvClient) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	pushMeta, err := c.decodePushMetadata(ref)
	if err != nil {
		return err
	}
	cur, exists, curMeta, err := c.current(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	if exists && !c.managed(curMeta) {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	next := map[string]any{}
	if ref.Property == "" {
		if err := json.Unmarshal(value, &next); err != nil {
			return fmt.Errorf("%s secret %q: without remoteRef.property the pushed value must be a JSON object; set a property to push a single value", c.product(), ref.RemoteKey)
		}
	} else {
		maps.Copy(next, cur)
		next[ref.Property] = string(value)
	}
	if c.conn.layout.v2 {
		// The metadata goes first, so a new secret is marked as managed before it has
		// data: a retry after a failed data write still finds it Ferry's.
		wantMeta := pushMeta.customMetadataFor(curMeta)
		if !exists || !maps.Equal(curMeta, wantMeta) {
			if err := c.writeCustomMetadata(ctx, ref.RemoteKey, wantMeta); err != nil {
				return err
			}
		}
	}
	if exists && jsonEqual(cur, next) {
		return nil
	}
	return c.write(ctx, ref.RemoteKey, next)
}

// write stores data at key.
func (c *kvClient) write(ctx context.Context, key string, data map[string]any) error {
	l := c.conn.layout
	body := any(data)
	if l.v2 {
		body = map[string]any{"data": data}
	}
	if err := c.conn.call(ctx, request{method: http.MethodPut, path: l.dataPath(key), body: body}, nil); err != nil {
		return fmt.Errorf("writing %s secret %q: %w", c.product(), key, err)
	}
	return nil
}

// writeCustomMetadata sets a KV v2 secret's custom_metadata to meta, replacing what it held.
func (c *kvClient) writeCustomMetadata(ctx context.Context, key string, meta map[string]string) error {
	body := map[string]any{"custom_metadata": meta}
	if err := c.conn.call(ctx, request{method: http.MethodPost, path: c.conn.layout.metadataPath(key), body: body}, nil); err != nil {
		return fmt.Errorf("writing the custom_metadata of %s secret %q: %w", c.product(), key, err)
	}
	return nil
}

// DeleteSecret removes ref.Property from the secret, or the whole secret (every KV v2
// version and its metadata) when no property is set or none is left.
func (c *kvClient) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	cur, exists, curMeta, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !exists {
		return err
	}
	if !c.managed(curMeta) {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		delete(cur, ref.Property)
		if len(cur) > 0 {
			return c.write(ctx, ref.RemoteKey, cur)
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
