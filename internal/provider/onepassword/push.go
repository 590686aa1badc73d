package onepassword

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// pushMetadata is the PushSecret metadata ESO reads for 1Password: a vault (one of the
// store's) for new items, and tags.
type pushMetadata struct {
	Spec struct {
		Vault string   `json:"vault"`
		Tags  []string `json:"tags"`
	} `json:"spec"`
}

func label(property string) string {
	if property == "" {
		return defaultField
	}
	return property
}

// setField sets the one field labelled name to value, adding it when missing; changed
// reports whether the item differs.
func setField(it *item, name, value string) (changed bool, err error) {
	idx := -1
	for i, f := range it.Fields {
		if f.Label == name {
			if idx >= 0 {
				return false, fmt.Errorf("item %q: more than one field labelled %q", it.Title, name)
			}
			idx = i
		}
	}
	if idx < 0 {
		it.Fields = append(it.Fields, itemField{Label: name, Value: value, Type: "CONCEALED"})
		return true, nil
	}
	if it.Fields[idx].Value == value {
		return false, nil
	}
	it.Fields[idx].Value = value
	return true, nil
}

// PushSecret sets the field ref.Property (default "password") of the item titled
// ref.RemoteKey, creating the item (category Server) in the metadata's vault or the
// store's first when no vault has it. Writing the value already there makes no write.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	var meta pushMetadata
	if ref.Metadata != nil && len(ref.Metadata.Raw) > 0 {
		if err := json.Unmarshal(ref.Metadata.Raw, &meta); err != nil {
			return fmt.Errorf("metadata: not 1Password push metadata: %w", err)
		}
	}
	it, err := c.findItem(ctx, ref.RemoteKey)
	if errors.Is(err, provider.ErrNotFound) {
		return c.create(ctx, value, ref, meta)
	}
	if err != nil {
		return err
	}
	changed, err := setField(it, label(ref.Property), string(value))
	if err != nil {
		return err
	}
	if meta.Spec.Tags != nil && !slices.Equal(meta.Spec.Tags, it.Tags) {
		it.Tags, changed = meta.Spec.Tags, true
	}
	if !changed {
		return nil
	}
	return c.put(ctx, it)
}

func (c *Client) create(ctx context.Context, value []byte, ref provider.PushRef, meta pushMetadata) error {
	vaults, err := c.vaults(ctx)
	if err != nil {
		return err
	}
	vaultID := vaults[0]
	if meta.Spec.Vault != "" {
		id, ok := c.vaultIDs[meta.Spec.Vault]
		if !ok {
			return fmt.Errorf("metadata.spec.vault: %q is not one of the store's vaults", meta.Spec.Vault)
		}
		vaultID = id
	}
	it := item{Title: ref.RemoteKey, Category: "SERVER", Tags: meta.Spec.Tags,
		Fields: []itemField{{Label: label(ref.Property), Value: string(value), Type: "CONCEALED"}}}
	it.Vault.ID = vaultID
	if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/v1/vaults/" + url.PathEscape(vaultID) + "/items", Body: it}, nil); err != nil {
		return fmt.Errorf("creating item %q: %w", ref.RemoteKey, err)
	}
	return nil
}

func (c *Client) put(ctx context.Context, it *item) error {
	if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPut, Path: itemPath(it.Vault.ID, it.ID), Body: it}, nil); err != nil {
		return fmt.Errorf("updating item %q: %w", it.Title, err)
	}
	return nil
}

// DeleteSecret removes the field ref.Property (default "password") of the item, and the
// item when no field or file is left. A missing item is no error.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	it, err := c.findItem(ctx, ref.RemoteKey)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	name := label(ref.Property)
	kept := it.Fields[:0]
	removed := 0
	for _, f := range it.Fields {
		if f.Label == name {
			removed++
			continue
		}
		kept = append(kept, f)
	}
	if removed > 1 {
		return fmt.Errorf("item %q: more than one field labelled %q", it.Title, name)
	}
	if removed == 0 {
		return nil
	}
	it.Fields = kept
	if len(it.Fields) > 0 || len(it.Files) > 0 {
		return c.put(ctx, it)
	}
	_, err = c.api.Do(ctx, restclient.Request{Method: http.MethodDelete, Path: itemPath(it.Vault.ID, it.ID)}, nil)
	if err != nil && restclient.Status(err) != http.StatusNotFound {
		return fmt.Errorf("deleting item %q: %w", it.Title, err)
	}
	return nil
}

// SecretExists says whether the item has the field ref.Property (default "password").
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	it, err := c.findItem(ctx, ref.RemoteKey)
	if errors.Is(err, provider.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, f := range it.Fields {
		if f.Label == label(ref.Property) {
			return true, nil
		}
	}
	return false, nil
}
