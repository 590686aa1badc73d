package akeyless

import (
	"context"
	"fmt"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
)

// OwnershipTag is the tag ESO's provider puts on the static secrets it creates; Ferry puts
// the same, so a secret pushed by either is managed by both, and overwrites or deletes only
// items that carry it.
const OwnershipTag = "k8s-external-secrets"

var _ provider.Writer = (*Client)(nil)

// pushTarget is what /describe-item says of the item a push names.
type pushTarget struct {
	found, managed bool
	itemType       string
}

func (c *Client) describeForPush(ctx context.Context, name string) (pushTarget, error) {
	var item struct {
		ItemType string   `json:"item_type"`
		ItemTags []string `json:"item_tags"`
	}
	err := c.authorized(ctx, "describe-item", map[string]any{"name": name}, &item)
	if itemMissing(err) {
		return pushTarget{}, nil
	}
	if err != nil {
		return pushTarget{}, fmt.Errorf("describing akeyless item %q: %w", name, err)
	}
	managed := false
	for _, t := range item.ItemTags {
		managed = managed || t == OwnershipTag
	}
	return pushTarget{found: true, managed: managed, itemType: item.ItemType}, nil
}

// PushSecret writes value as the static secret ref.RemoteKey, or under ref.Property of its
// JSON object keeping the other keys. A missing secret is created with OwnershipTag; an
// existing one is updated only when it carries the tag and its value changes.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "akeyless"); err != nil {
		return err
	}
	target, err := c.describeForPush(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	var old string
	if target.found {
		if !target.managed {
			return fmt.Errorf("akeyless item %q: %w (it lacks the tag %s)", ref.RemoteKey, provider.ErrNotManaged, OwnershipTag)
		}
		if target.itemType != typeStatic {
			return fmt.Errorf("akeyless item %q is a %s; PushSecret writes static secrets", ref.RemoteKey, target.itemType)
		}
		raw, err := c.staticValue(ctx, ref.RemoteKey, 0)
		if err != nil {
			return fmt.Errorf("reading akeyless item %q: %w", ref.RemoteKey, err)
		}
		old = string(raw)
	}
	next := string(value)
	if ref.Property != "" {
		if next, err = flatscope.SetProperty(old, target.found, ref.Property, value); err != nil {
			return fmt.Errorf("akeyless item %q: %w", ref.RemoteKey, err)
		}
	}
	if target.found && old == next {
		return nil
	}
	if target.found {
		return c.write(ctx, "update-secret-val", map[string]any{"name": ref.RemoteKey, "value": next}, ref.RemoteKey)
	}
	c.types.set(ref.RemoteKey, typeStatic)
	return c.write(ctx, "create-secret", map[string]any{"name": ref.RemoteKey, "value": next, "tags": []string{OwnershipTag}}, ref.RemoteKey)
}

// DeleteSecret deletes the static secret ref.RemoteKey, or with a property removes that key
// from its JSON object (and the secret with its last key). A missing secret is no error; one
// without OwnershipTag is left alone, with ErrNotManaged.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	target, err := c.describeForPush(ctx, ref.RemoteKey)
	if err != nil || !target.found {
		return err
	}
	if !target.managed {
		return fmt.Errorf("akeyless item %q: %w (it lacks the tag %s)", ref.RemoteKey, provider.ErrNotManaged, OwnershipTag)
	}
	if ref.Property != "" && target.itemType == typeStatic {
		raw, err := c.staticValue(ctx, ref.RemoteKey, 0)
		if err != nil {
			return fmt.Errorf("reading akeyless item %q: %w", ref.RemoteKey, err)
		}
		next, empty, had, err := flatscope.RemoveProperty(string(raw), ref.Property)
		if err != nil {
			return fmt.Errorf("akeyless item %q: %w", ref.RemoteKey, err)
		}
		if !had {
			return nil
		}
		if !empty {
			return c.write(ctx, "update-secret-val", map[string]any{"name": ref.RemoteKey, "value": next}, ref.RemoteKey)
		}
	}
	c.types.forget(ref.RemoteKey)
	err = c.write(ctx, "delete-item", map[string]any{"name": ref.RemoteKey}, ref.RemoteKey)
	if itemMissing(err) {
		return nil
	}
	return err
}

// SecretExists says whether ref.RemoteKey exists (with ref.Property in its JSON object, when
// set).
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	target, err := c.describeForPush(ctx, ref.RemoteKey)
	if err != nil || !target.found || ref.Property == "" {
		return target.found, err
	}
	raw, err := c.value(ctx, ref.RemoteKey, 0)
	if err != nil {
		return false, err
	}
	return flatscope.HasProperty(string(raw), ref.Property), nil
}

// write sends a command that changes an item and expects no value back.
func (c *Client) write(ctx context.Context, command string, body map[string]any, name string) error {
	var out map[string]any
	if err := c.authorized(ctx, command, body, &out); err != nil {
		return fmt.Errorf("akeyless %s of item %q: %w", command, name, err)
	}
	return nil
}
