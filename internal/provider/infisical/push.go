package infisical

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// projectLookups are the routes that resolve a project slug to its ID, newest first: the
// write endpoints take the ID, not the slug.
var projectLookups = []string{"/v1/projects/slug/", "/v1/workspace/slug/"}

// projectIDOf resolves the store's project slug once per client.
func (c *Client) projectIDOf(ctx context.Context) (string, error) {
	c.projectMu.Lock()
	defer c.projectMu.Unlock()
	if c.projectID != "" {
		return c.projectID, nil
	}
	var lastErr error
	for _, route := range projectLookups {
		var out struct {
			ID string `json:"id"`
		}
		err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: route + url.PathEscape(c.project)}, &out)
		if restclient.Status(err) == http.StatusNotFound {
			lastErr = err
			continue
		}
		if err != nil {
			return "", fmt.Errorf("resolving project %q: %w", c.project, err)
		}
		if out.ID == "" {
			return "", fmt.Errorf("resolving project %q: Infisical returned no id", c.project)
		}
		c.projectID = out.ID
		return out.ID, nil
	}
	return "", fmt.Errorf("resolving project %q: %w", c.project, lastErr)
}

// current reads the secret at key; found is false when it is missing.
func (c *Client) current(ctx context.Context, key string) (string, bool, error) {
	v, err := c.get(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return "", false, nil
	}
	return v, err == nil, err
}

// write creates (POST), updates (PATCH) or deletes (DELETE) the secret at key.
func (c *Client) write(ctx context.Context, method, key string, value *string) error {
	projectID, err := c.projectIDOf(ctx)
	if err != nil {
		return err
	}
	folder, name := c.address(key)
	body := map[string]any{"workspaceId": projectID, "environment": c.environment, "secretPath": folder, "type": "shared"}
	if value != nil {
		body["secretValue"], body["skipMultilineEncoding"] = *value, true
	}
	if err := c.do(ctx, restclient.Request{Method: method, Path: secretsPath + "/" + url.PathEscape(name), Body: body}, nil); err != nil {
		return fmt.Errorf("writing secret %q: %w", key, err)
	}
	return nil
}

// PushSecret creates or updates the secret at ref.RemoteKey (or its JSON property);
// writing the value already there makes no write.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "infisical"); err != nil {
		return err
	}
	old, found, err := c.current(ctx, ref.RemoteKey)
	if err != nil {
		return err
	}
	next := string(value)
	if ref.Property != "" {
		if next, err = flatscope.SetProperty(old, found, ref.Property, value); err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
	}
	switch {
	case found && old == next:
		return nil
	case found:
		return c.write(ctx, http.MethodPatch, ref.RemoteKey, &next)
	default:
		return c.write(ctx, http.MethodPost, ref.RemoteKey, &next)
	}
}

// DeleteSecret deletes the secret at ref.RemoteKey, or with a property removes that key
// from its JSON object (the secret goes with its last key). A missing secret is no error.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	old, found, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !found {
		return err
	}
	if ref.Property != "" {
		next, empty, had, err := flatscope.RemoveProperty(old, ref.Property)
		if err != nil {
			return fmt.Errorf("secret %q: %w", ref.RemoteKey, err)
		}
		if !had {
			return nil
		}
		if !empty {
			return c.write(ctx, http.MethodPatch, ref.RemoteKey, &next)
		}
	}
	err = c.write(ctx, http.MethodDelete, ref.RemoteKey, nil)
	if restclient.Status(err) == http.StatusNotFound {
		return nil // deleted since it was read
	}
	return err
}

// SecretExists says whether the secret (and its property) exists.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	value, found, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !found || ref.Property == "" {
		return found, err
	}
	return flatscope.HasProperty(value, ref.Property), nil
}
