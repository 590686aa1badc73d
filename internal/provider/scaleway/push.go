package scaleway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// OwnershipTag is the tag Ferry puts on the secrets PushSecret creates, and the only
// secrets it overwrites or deletes. Scaleway tags are plain strings, so the managed-by
// pair every writer uses is written as one. ESO's Scaleway provider tags nothing: a
// secret it pushed is Ferry's to manage once it is given this tag.
const OwnershipTag = provider.ManagedByTag + "=" + provider.ManagedByValue

// target is the secret a push ref names, and its latest enabled payload.
type target struct {
	ref     remoteRef
	secret  *secret // nil: no such secret
	current []byte
	hasData bool // the secret has an enabled version
}

// pushTarget parses a PushSecret remote key (name: or path:, as ESO allows) and reads what
// is there now.
func (c *Client) pushTarget(ctx context.Context, key string) (*target, error) {
	ref, err := parseKey(key)
	if err != nil {
		return nil, err
	}
	if ref.id != "" {
		return nil, fmt.Errorf("remote key %q: PushSecret takes a name: or path: key, not an id: key", key)
	}
	t := &target{ref: ref}
	t.secret, err = c.resolve(ctx, ref)
	if errors.Is(err, provider.ErrNotFound) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	t.current, err = c.access(ctx, t.secret.ID, latestEnabled, key)
	if errors.Is(err, provider.ErrNotFound) {
		return t, nil
	}
	t.hasData = err == nil
	return t, err
}

func (t *target) owned() bool { return slices.Contains(t.secret.Tags, OwnershipTag) }

// PushSecret writes value (or sets the JSON property ref.Property to it) as a new version
// of the secret ref.RemoteKey names, creating the secret, tagged as Ferry's, in its folder
// ("/" for a name) when missing. The previous version is disabled, as ESO does. Pushing
// the value already there makes no write; a secret Ferry did not create is left alone.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "scaleway"); err != nil {
		return err
	}
	t, err := c.pushTarget(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	if t.secret != nil && !t.owned() {
		return fmt.Errorf("secret %q: %w (it lacks the tag %s)", ref.RemoteKey, provider.ErrNotManaged, OwnershipTag)
	}
	next := value
	if ref.Property != "" {
		doc, err := flatscope.SetProperty(string(t.current), t.hasData, ref.Property, value)
		if err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
		next = []byte(doc)
	}
	if t.hasData && bytes.Equal(t.current, next) {
		return nil
	}
	if t.secret == nil {
		if t.secret, err = c.create(ctx, t.ref); err != nil {
			return err
		}
	}
	return c.addVersion(ctx, t.secret.ID, ref.RemoteKey, next)
}

// create makes the secret ref names, tagged as Ferry's.
func (c *Client) create(ctx context.Context, ref remoteRef) (*secret, error) {
	folder := ref.folder
	if folder == "" {
		folder = "/"
	}
	body := map[string]any{"project_id": c.projectID, "name": ref.name, "path": folder, "tags": []string{OwnershipTag}}
	var s secret
	if err := c.do(ctx, restclient.Request{Method: http.MethodPost, Path: "/secrets", Body: body}, &s); err != nil {
		return nil, fmt.Errorf("creating secret %q: %w", ref.key, err)
	}
	if s.ID == "" {
		return nil, fmt.Errorf("creating secret %q: the answer holds no id", ref.key)
	}
	return &s, nil
}

// addVersion adds a version holding data and disables the one before it.
func (c *Client) addVersion(ctx context.Context, id, key string, data []byte) error {
	body := map[string]any{"data": data, "disable_previous": true} // []byte encodes as base64
	err := c.do(ctx, restclient.Request{Method: http.MethodPost, Path: "/secrets/" + url.PathEscape(id) + "/versions", Body: body}, nil)
	if err != nil {
		return fmt.Errorf("adding a version to secret %q: %w", key, err)
	}
	return nil
}

// DeleteSecret deletes the secret ref.RemoteKey names, or with a property removes that key
// from its JSON object in a new version (the secret goes with its last key). A missing
// secret is no error; a secret Ferry did not create is left alone.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	t, err := c.pushTarget(ctx, ref.RemoteKey)
	if err != nil || t.secret == nil {
		return err
	}
	if !t.owned() {
		return fmt.Errorf("secret %q: %w (it lacks the tag %s)", ref.RemoteKey, provider.ErrNotManaged, OwnershipTag)
	}
	if ref.Property != "" {
		if !t.hasData {
			return nil // no value holds the property
		}
		next, empty, had, err := flatscope.RemoveProperty(string(t.current), ref.Property)
		if err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
		if !had {
			return nil
		}
		if !empty {
			return c.addVersion(ctx, t.secret.ID, ref.RemoteKey, []byte(next))
		}
	}
	err = c.do(ctx, restclient.Request{Method: http.MethodDelete, Path: "/secrets/" + url.PathEscape(t.secret.ID)}, nil)
	if restclient.Status(err) == http.StatusNotFound {
		return nil // deleted since it was read
	}
	if err != nil {
		return fmt.Errorf("deleting secret %q: %w", ref.RemoteKey, err)
	}
	return nil
}

// SecretExists says whether the secret has an enabled version (holding the property).
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	t, err := c.pushTarget(ctx, ref.RemoteKey)
	if err != nil || !t.hasData || ref.Property == "" {
		return err == nil && t.hasData, err
	}
	return flatscope.HasProperty(string(t.current), ref.Property), nil
}
