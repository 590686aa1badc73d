package gcpsm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/ferryhq/ferry/internal/provider"
)

// PushSecret writes value at ref as a new version, creating the secret (labelled
// managed-by: external-secrets, with the metadata's labels, annotations, topics,
// replication and key) when missing. An existing secret's labels and annotations follow
// the metadata when the entry has any. A secret without that label is left alone.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	meta, err := c.pushMetadataOf(ref)
	if err != nil {
		return err
	}
	key := ref.RemoteKey
	s, err := c.sm.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: c.secretName(key)})
	switch {
	case err == nil:
		if s.GetLabels()[provider.ManagedByTag] != provider.ManagedByValue {
			return fmt.Errorf("secret %q: %w", key, provider.ErrNotManaged)
		}
		if provider.HasMetadata(ref) {
			if err := c.updateMetadata(ctx, key, s, meta); err != nil {
				return err
			}
		}
	case errors.Is(apiError(err, key, ""), provider.ErrNotFound):
		if err := c.create(ctx, key, meta); err != nil {
			return err
		}
	default:
		return apiError(err, key, "reading secret")
	}
	current, err := c.access(ctx, key, "")
	if err != nil && !errors.Is(err, provider.ErrNotFound) {
		return err
	}
	next := value
	if ref.Property != "" {
		if next, err = setProperty(current, ref.Property, value, key); err != nil {
			return err
		}
	}
	if current != nil && bytes.Equal(current, next) {
		return nil
	}
	return c.addVersion(ctx, key, next)
}

func (c *Client) create(ctx context.Context, key string, meta pushMetadata) error {
	_, err := c.sm.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: c.parent(), SecretId: key, Secret: c.newSecret(meta)})
	if err != nil {
		return apiError(err, key, "creating secret")
	}
	return nil
}

// updateMetadata sets the secret's labels and annotations to what meta asks for, when they
// differ; topics, replication and key stay as they were created.
func (c *Client) updateMetadata(ctx context.Context, key string, s *secretmanagerpb.Secret, meta pushMetadata) error {
	labels := meta.labels(s.GetLabels())
	if maps.Equal(labels, s.GetLabels()) && maps.Equal(meta.Annotations, s.GetAnnotations()) {
		return nil
	}
	_, err := c.sm.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{
		Secret:     &secretmanagerpb.Secret{Name: s.GetName(), Etag: s.GetEtag(), Labels: labels, Annotations: meta.Annotations},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels", "annotations"}},
	})
	if err != nil {
		return apiError(err, key, "updating the labels and annotations of secret")
	}
	return nil
}

func (c *Client) addVersion(ctx context.Context, key string, data []byte) error {
	_, err := c.sm.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{
		Parent: c.secretName(key), Payload: &secretmanagerpb.SecretPayload{Data: data},
	})
	if err != nil {
		return apiError(err, key, "adding a version to secret")
	}
	return nil
}

// setProperty returns the JSON object current with property set to value.
func setProperty(current []byte, prop string, value []byte, key string) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if len(current) > 0 {
		if err := json.Unmarshal(current, &obj); err != nil {
			return nil, fmt.Errorf("secret %q: the value is not a JSON object, so property %q cannot be set", key, prop)
		}
	}
	encoded, err := json.Marshal(string(value))
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", key, err)
	}
	obj[prop] = encoded
	return json.Marshal(obj)
}

// DeleteSecret deletes the secret, or with a property removes that key from its JSON
// object (deleting the secret when no key is left). Only managed secrets are touched.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	key := ref.RemoteKey
	s, err := c.sm.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: c.secretName(key)})
	if err != nil {
		err = apiError(err, key, "reading secret")
		if errors.Is(err, provider.ErrNotFound) {
			return nil
		}
		return err
	}
	if s.GetLabels()[provider.ManagedByTag] != provider.ManagedByValue {
		return fmt.Errorf("secret %q: %w", key, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		current, err := c.access(ctx, key, "")
		if errors.Is(err, provider.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		obj := map[string]json.RawMessage{}
		if err := json.Unmarshal(current, &obj); err != nil {
			return fmt.Errorf("secret %q: the value is not a JSON object, so property %q cannot be removed", key, ref.Property)
		}
		if _, ok := obj[ref.Property]; !ok {
			return nil
		}
		delete(obj, ref.Property)
		if len(obj) > 0 {
			next, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("secret %q: %w", key, err)
			}
			return c.addVersion(ctx, key, next)
		}
	}
	if err := c.sm.DeleteSecret(ctx, &secretmanagerpb.DeleteSecretRequest{Name: c.secretName(key)}); err != nil {
		if err := apiError(err, key, "deleting secret"); !errors.Is(err, provider.ErrNotFound) {
			return err
		}
	}
	return nil
}

// SecretExists says whether ref has a readable latest version (and property).
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	value, err := c.access(ctx, ref.RemoteKey, "")
	if errors.Is(err, provider.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ref.Property == "" {
		return true, nil
	}
	obj := map[string]json.RawMessage{}
	if json.Unmarshal(value, &obj) != nil {
		return false, nil
	}
	_, ok := obj[ref.Property]
	return ok, nil
}
