package doppler

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const secretsPath = "/v3/configs/config/secrets"

// change is one element of the change_requests of Doppler's secrets update.
type change struct {
	Name         string  `json:"name"`
	OriginalName *string `json:"originalName"`
	Value        *string `json:"value"`
	ShouldDelete bool    `json:"shouldDelete,omitempty"`
}

// current reads the secret named key; found is false when the config has none.
func (c *Client) current(ctx context.Context, key string) (value string, found bool, err error) {
	values, err := c.download(ctx, key, false)
	if err != nil {
		return "", false, err
	}
	value, found = values[key]
	return value, found, nil
}

// update sends one change request to the config.
func (c *Client) update(ctx context.Context, ch change) error {
	body := map[string]any{"change_requests": []change{ch}}
	if c.project != "" {
		body["project"], body["config"] = c.project, c.config
	}
	if _, err := c.do(ctx, restclient.Request{Method: http.MethodPost, Path: secretsPath, Body: body}, nil); err != nil {
		return fmt.Errorf("updating secret %q: %w", ch.Name, err)
	}
	return nil
}

// PushSecret sets the secret named ref.RemoteKey (or the JSON property ref.Property of it)
// to value. Writing the value already there makes no call that changes anything.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "doppler"); err != nil {
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
	if found && old == next {
		return nil
	}
	ch := change{Name: ref.RemoteKey, Value: &next}
	if found {
		ch.OriginalName = &ref.RemoteKey
	}
	return c.update(ctx, ch)
}

// DeleteSecret deletes the secret named ref.RemoteKey, or with a property removes that key
// from its JSON object (and the secret with its last key). A missing secret is no error.
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
			return c.update(ctx, change{Name: ref.RemoteKey, OriginalName: &ref.RemoteKey, Value: &next})
		}
	}
	return c.update(ctx, change{Name: ref.RemoteKey, OriginalName: &ref.RemoteKey, ShouldDelete: true})
}

// SecretExists says whether the config has the secret (and its property).
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	value, found, err := c.current(ctx, ref.RemoteKey)
	if err != nil || !found || ref.Property == "" {
		return found, err
	}
	return flatscope.HasProperty(value, ref.Property), nil
}
