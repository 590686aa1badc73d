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

// remoteSecret is what a write needs to know of a secret first.
type remoteSecret struct {
	// data is the secret's data (empty when it has none); exists says it has readable data.
	data   map[string]any
	exists bool
	// tracked says KV v2 keeps metadata for the secret: it exists, or once did and its
	// newest version is deleted. meta is its custom_metadata, version its newest version.
	tracked bool
	meta    map[string]string
	version uint64
}

// current reads the secret: on KV v2 its metadata first, so that a secret whose newest
// version is deleted is still known, with the marker saying whose it is and the version a
// check-and-set write must name.
func (c *kvClient) current(ctx context.Context, key string) (remoteSecret, error) {
	r := remoteSecret{data: map[string]any{}}
	if c.conn.layout.v2 {
		md, err := c.metadataDocV2(ctx, c.conn.layout.metadataPath(key), key)
		if errors.Is(err, provider.ErrNotFound) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		r.tracked, r.meta, r.version = true, md.CustomMetadata, md.CurrentVersion
	}
	data, err := c.data(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r.data); err != nil {
		return r, fmt.Errorf("%s secret %q does not hold a JSON object", c.product(), key)
	}
	r.exists = true
	return r, nil
}

// managed says whether Ferry or ESO created a secret: on KV v2 its custom_metadata
// carries managed-by=external-secrets (whether or not its newest version is deleted); KV
// v1 keeps no metadata, so every KV v1 secret counts as managed.
func (c *kvClient) managed(r remoteSecret) bool {
	return !c.conn.layout.v2 || !r.tracked || r.meta[provider.ManagedByTag] == provider.ManagedByValue
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
	cur, err := c.current(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	if !c.managed(cur) {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	next := map[string]any{}
	if ref.Property == "" {
		if err := json.Unmarshal(value, &next); err != nil {
			return fmt.Errorf("%s secret %q: without remoteRef.property the pushed value must be a JSON object; set a property to push a single value", c.product(), ref.RemoteKey)
		}
	} else {
		maps.Copy(next, cur.data)
		next[ref.Property] = string(value)
	}
	if c.conn.layout.v2 {
		// The metadata goes first, so a new secret is marked as managed before it has
		// data: a retry after a failed data write still finds it Ferry's.
		wantMeta := pushMeta.customMetadataFor(cur.meta)
		if !cur.tracked || !maps.Equal(cur.meta, wantMeta) {
			if err := c.writeCustomMetadata(ctx, ref.RemoteKey, wantMeta); err != nil {
				return err
			}
		}
	}
	if cur.exists && jsonEqual(cur.data, next) {
		return nil
	}
	return c.write(ctx, ref.RemoteKey, next, cur.version)
}

// write stores data at key. On KV v2 with checkAndSet.required, the write names version,
// the newest version read before it (0: the secret must not exist yet), so that Vault
// refuses it should another writer have written in between; the next push reads again.
func (c *kvClient) write(ctx context.Context, key string, data map[string]any, version uint64) error {
	l := c.conn.layout
	body := any(data)
	if l.v2 {
		v2 := map[string]any{"data": data}
		if c.checkAndSet {
			v2["options"] = map[string]any{"cas": version}
		}
		body = v2
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
	cur, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !cur.exists {
		return err
	}
	if !c.managed(cur) {
		return fmt.Errorf("%s secret %q: %w", c.product(), ref.RemoteKey, provider.ErrNotManaged)
	}
	if ref.Property != "" && cur.exists {
		delete(cur.data, ref.Property)
		if len(cur.data) > 0 {
			return c.write(ctx, ref.RemoteKey, cur.data, cur.version)
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
	cur, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !cur.exists || ref.Property == "" {
		return cur.exists, err
	}
	_, ok := cur.data[ref.Property]
	return ok, nil
}

func jsonEqual(a, b map[string]any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}
