package azurekv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/ferryhq/ferry/internal/provider"
)

// secretName returns the secret a push goes to; certificates and keys are not pushed.
func secretName(key string) (string, error) {
	kind, name := splitKey(key)
	if kind != objectSecret {
		return "", fmt.Errorf("%q: PushSecret writes secrets only, not %s objects", key, kind)
	}
	return name, nil
}

// current reads the secret's current value and tags; found is false when it is missing.
func (c *Client) current(ctx context.Context, name string) (value *string, tags map[string]*string, found bool, err error) {
	resp, err := c.secrets.GetSecret(ctx, name, "", nil)
	if err != nil {
		err = apiError(err, name, "reading secret")
		if errors.Is(err, provider.ErrNotFound) {
			return nil, nil, false, nil
		}
		return nil, nil, false, err
	}
	return resp.Value, resp.Tags, true, nil
}

func managed(tags map[string]*string) bool {
	v := tags[provider.ManagedByTag]
	return v != nil && *v == provider.ManagedByValue
}

// PushSecret sets the secret at ref to value (or its property), tagging it managed-by:
// external-secrets. A secret without that tag is left alone.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "azurekv"); err != nil {
		return err
	}
	name, err := secretName(ref.RemoteKey)
	if err != nil {
		return err
	}
	old, tags, found, err := c.current(ctx, name)
	if err != nil {
		return err
	}
	if found && !managed(tags) {
		return fmt.Errorf("secret %q: %w", name, provider.ErrNotManaged)
	}
	next := string(value)
	if ref.Property != "" {
		obj := map[string]json.RawMessage{}
		if old != nil && *old != "" {
			if err := json.Unmarshal([]byte(*old), &obj); err != nil {
				return fmt.Errorf("secret %q: the value is not a JSON object, so property %q cannot be set", name, ref.Property)
			}
		}
		encoded, _ := json.Marshal(string(value))
		obj[ref.Property] = encoded
		doc, err := json.Marshal(obj)
		if err != nil {
			return fmt.Errorf("secret %q: %w", name, err)
		}
		next = string(doc)
	}
	if found && old != nil && *old == next {
		return nil
	}
	return c.set(ctx, name, next, tags)
}

func (c *Client) set(ctx context.Context, name, value string, tags map[string]*string) error {
	if tags == nil {
		tags = map[string]*string{}
	}
	managedBy := provider.ManagedByValue
	tags[provider.ManagedByTag] = &managedBy
	if _, err := c.secrets.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: &value, Tags: tags}, nil); err != nil {
		return apiError(err, name, "setting secret")
	}
	return nil
}

// DeleteSecret deletes the secret (Key Vault keeps it soft-deleted for its retention), or
// with a property removes that key from its JSON object. Only managed secrets are touched.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	name, err := secretName(ref.RemoteKey)
	if err != nil {
		return err
	}
	old, tags, found, err := c.current(ctx, name)
	if err != nil || !found {
		return err
	}
	if !managed(tags) {
		return fmt.Errorf("secret %q: %w", name, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		obj := map[string]json.RawMessage{}
		if old == nil || json.Unmarshal([]byte(*old), &obj) != nil {
			return fmt.Errorf("secret %q: the value is not a JSON object, so property %q cannot be removed", name, ref.Property)
		}
		if _, ok := obj[ref.Property]; !ok {
			return nil
		}
		delete(obj, ref.Property)
		if len(obj) > 0 {
			doc, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("secret %q: %w", name, err)
			}
			return c.set(ctx, name, string(doc), tags)
		}
	}
	if _, err := c.secrets.DeleteSecret(ctx, name, nil); err != nil {
		if err := apiError(err, name, "deleting secret"); !errors.Is(err, provider.ErrNotFound) {
			return err
		}
	}
	return nil
}

// SecretExists says whether the secret (and property) exists.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	name, err := secretName(ref.RemoteKey)
	if err != nil {
		return false, err
	}
	value, _, found, err := c.current(ctx, name)
	if err != nil || !found || ref.Property == "" {
		return found, err
	}
	obj := map[string]json.RawMessage{}
	if value == nil || json.Unmarshal([]byte(*value), &obj) != nil {
		return false, nil
	}
	_, ok := obj[ref.Property]
	return ok, nil
}
