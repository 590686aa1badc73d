package oracle

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

var _ provider.Writer = (*Client)(nil)

// managedSecret is the Vault service's summary of a secret a push looks at.
type managedSecret struct {
	ID             string            `json:"id"`
	SecretName     string            `json:"secretName"`
	LifecycleState string            `json:"lifecycleState"`
	FreeformTags   map[string]string `json:"freeformTags"`
}

func (s *managedSecret) managed() bool {
	return s.FreeformTags[provider.ManagedByTag] == provider.ManagedByValue
}

// content is the secretContent of CreateSecret and UpdateSecret.
type content struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

func base64Content(value []byte) content {
	return content{ContentType: "BASE64", Content: base64.StdEncoding.EncodeToString(value)}
}

// PushSecret creates the secret ref.RemoteKey in the store's compartment, encrypted with
// its encryptionKey and tagged managed-by=external-secrets, or writes a new version of a
// secret so tagged when its value differs. With ref.Property, the value goes under that key
// of the secret's JSON object, keeping the others.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "oracle"); err != nil {
		return err
	}
	if err := c.canPush(); err != nil {
		return err
	}
	key := ref.RemoteKey
	existing, err := c.lookup(ctx, key)
	if err != nil {
		return err
	}
	if existing == nil {
		next := value
		if ref.Property != "" {
			if next, err = setProperty(nil, ref.Property, value, key); err != nil {
				return err
			}
		}
		body := map[string]any{
			"compartmentId": c.compartment, "vaultId": c.vault, "keyId": c.encryptionKey, "secretName": key,
			"secretContent": base64Content(next), "freeformTags": map[string]string{provider.ManagedByTag: provider.ManagedByValue},
		}
		if _, err := c.vaults.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/20180608/secrets", Body: body}, nil); err != nil {
			return fmt.Errorf("creating oci vault secret %q: %w", key, c.explain(err))
		}
		return nil
	}
	if !existing.managed() {
		return fmt.Errorf("oci vault secret %q: %w", key, provider.ErrNotManaged)
	}
	current, err := c.read(ctx, refTo(key))
	if err != nil {
		return err
	}
	next := value
	if ref.Property != "" {
		if next, err = setProperty(current, ref.Property, value, key); err != nil {
			return err
		}
	}
	if bytes.Equal(current, next) {
		return nil
	}
	return c.update(ctx, existing, next)
}

func (c *Client) update(ctx context.Context, s *managedSecret, value []byte) error {
	body := map[string]any{"secretContent": base64Content(value)}
	if _, err := c.vaults.Do(ctx, restclient.Request{Method: http.MethodPut, Path: "/20180608/secrets/" + url.PathEscape(s.ID), Body: body}, nil); err != nil {
		return fmt.Errorf("updating oci vault secret %q: %w", s.SecretName, c.explain(err))
	}
	return nil
}

// DeleteSecret schedules the deletion of a secret Ferry or ESO tagged as theirs (OCI
// deletes it after its default 30 days), or with ref.Property removes that key, scheduling
// the deletion when no other key is left. A secret that is gone or already scheduled is
// left as it is.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	if err := c.canPush(); err != nil {
		return err
	}
	key := ref.RemoteKey
	existing, err := c.lookup(ctx, key)
	if err != nil || existing == nil {
		return err
	}
	if !existing.managed() {
		return fmt.Errorf("oci vault secret %q: %w", key, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		current, err := c.read(ctx, refTo(key))
		if err != nil {
			return err
		}
		obj := map[string]json.RawMessage{}
		if err := json.Unmarshal(current, &obj); err != nil {
			return fmt.Errorf("oci vault secret %q: the value is not a JSON object, so property %q cannot be removed", key, ref.Property)
		}
		if _, ok := obj[ref.Property]; !ok {
			return nil
		}
		delete(obj, ref.Property)
		if len(obj) > 0 {
			rest, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("oci vault secret %q: %w", key, err)
			}
			return c.update(ctx, existing, rest)
		}
	}
	path := "/20180608/secrets/" + url.PathEscape(existing.ID) + "/actions/scheduleDeletion"
	if _, err := c.vaults.Do(ctx, restclient.Request{Method: http.MethodPost, Path: path, Body: map[string]any{}}, nil); err != nil {
		return fmt.Errorf("scheduling the deletion of oci vault secret %q: %w", key, c.explain(err))
	}
	return nil
}

// refTo is the read of the current version of key.
func refTo(key string) esv1.ExternalSecretDataRemoteRef {
	return esv1.ExternalSecretDataRemoteRef{Key: key}
}

// SecretExists says whether the secret exists and can be read, and, with ref.Property,
// holds that key.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	value, err := c.read(ctx, refTo(ref.RemoteKey))
	if errors.Is(err, provider.ErrNotFound) {
		return false, nil
	}
	if err != nil || ref.Property == "" {
		return err == nil, err
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(value, &obj) != nil {
		return false, nil
	}
	_, ok := obj[ref.Property]
	return ok, nil
}

// canPush says what a push needs that the store does not set.
func (c *Client) canPush() error {
	switch {
	case c.encryptionKey == "":
		return fmt.Errorf("%s.encryptionKey: required to push: set the OCID of the vault's key new secrets are encrypted with", specField)
	case c.compartment == "":
		return fmt.Errorf("%s.compartment: required to push: set the OCID of the compartment new secrets are created in", specField)
	}
	return nil
}

// lookup finds the live secret named name in the vault and compartment (nil when there is
// none): ListSecrets filtered by name.
func (c *Client) lookup(ctx context.Context, name string) (*managedSecret, error) {
	query := url.Values{"compartmentId": {c.compartment}, "vaultId": {c.vault}, "name": {name}}
	var found []managedSecret
	if _, err := c.vaults.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/20180608/secrets", Query: query}, &found); err != nil {
		return nil, fmt.Errorf("looking up oci vault secret %q: %w", name, c.explain(err))
	}
	for i := range found {
		if found[i].SecretName == name && live(found[i].LifecycleState) {
			return &found[i], nil
		}
	}
	return nil, nil
}

// setProperty returns the JSON object current (an empty one when nil) with key set to
// value, as a string.
func setProperty(current []byte, key string, value []byte, name string) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if current != nil {
		if err := json.Unmarshal(current, &obj); err != nil {
			return nil, fmt.Errorf("oci vault secret %q: the value is not a JSON object, so property %q cannot be set", name, key)
		}
	}
	raw, err := json.Marshal(string(value))
	if err != nil {
		return nil, fmt.Errorf("oci vault secret %q: %w", name, err)
	}
	obj[key] = raw
	return json.Marshal(obj)
}
