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

// current reads the secret's current version; nil when it is missing.
func (c *Client) current(ctx context.Context, name string) (*secretVersion, error) {
	resp, err := c.secrets.GetSecret(ctx, name, "", nil)
	if err != nil {
		err = apiError(err, name, "reading secret")
		if errors.Is(err, provider.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	v := versionOf(resp.Secret)
	return &v, nil
}

func managed(tags map[string]*string) bool {
	v := tags[provider.ManagedByTag]
	return v != nil && *v == provider.ManagedByValue
}

// PushSecret sets the secret at ref to value (or its property), tagging it managed-by:
// external-secrets, with the metadata's tags, content type and expiry. A secret without
// that tag is left alone; a version that already holds all of it is not written again.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	name, err := secretName(ref.RemoteKey)
	if err != nil {
		return err
	}
	cur, err := c.current(ctx, name)
	if err != nil {
		return err
	}
	if cur != nil && !managed(cur.tags) {
		return fmt.Errorf("secret %q: %w", name, provider.ErrNotManaged)
	}
	nextValue := string(value)
	if ref.Property != "" {
		obj := map[string]json.RawMessage{}
		if cur != nil && cur.value != "" {
			if err := json.Unmarshal([]byte(cur.value), &obj); err != nil {
				return fmt.Errorf("secret %q: the value is not a JSON object, so property %q cannot be set", name, ref.Property)
			}
		}
		encoded, _ := json.Marshal(string(value))
		obj[ref.Property] = encoded
		doc, err := json.Marshal(obj)
		if err != nil {
			return fmt.Errorf("secret %q: %w", name, err)
		}
		nextValue = string(doc)
	}
	next, err := nextVersion(ref, nextValue, cur)
	if err != nil {
		return err
	}
	managedBy := provider.ManagedByValue
	next.tags[provider.ManagedByTag] = &managedBy
	if cur != nil && cur.same(next) {
		return nil
	}
	return c.set(ctx, name, next)
}

func (c *Client) set(ctx context.Context, name string, v secretVersion) error {
	params := azsecrets.SetSecretParameters{Value: &v.value, ContentType: v.contentType, Tags: v.tags}
	if v.expires != nil {
		params.SecretAttributes = &azsecrets.SecretAttributes{Expires: v.expires}
	}
	if _, err := c.secrets.SetSecret(ctx, name, params, nil); err != nil {
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
	cur, err := c.current(ctx, name)
	if err != nil || cur == nil {
		return err
	}
	if !managed(cur.tags) {
		return fmt.Errorf("secret %q: %w", name, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		obj := map[string]json.RawMessage{}
		if json.Unmarshal([]byte(cur.value), &obj) != nil {
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
			// The remaining keys keep the version's tags, content type and expiry.
			rest := *cur
			rest.value = string(doc)
			return c.set(ctx, name, rest)
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
	cur, err := c.current(ctx, name)
	if err != nil || cur == nil || ref.Property == "" {
		return cur != nil, err
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal([]byte(cur.value), &obj) != nil {
		return false, nil
	}
	_, ok := obj[ref.Property]
	return ok, nil
}
