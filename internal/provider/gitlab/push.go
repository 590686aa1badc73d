package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// managedDescription marks the variables Ferry creates. A variable whose description does
// not say it is managed by external-secrets is neither overwritten nor deleted.
const managedDescription = "managed-by: external-secrets"

func managed(description string) bool {
	d := strings.ToLower(description)
	return strings.Contains(d, "managed") && strings.Contains(d, "external-secrets")
}

// pushOptions are the variable settings a PushSecret's metadata may set, as ESO reads them.
type pushOptions struct {
	ProjectID    string `json:"projectID"`
	GroupID      string `json:"groupID"`
	Masked       *bool  `json:"masked"`
	Protected    *bool  `json:"protected"`
	Raw          *bool  `json:"raw"`
	Description  string `json:"description"`
	VariableType string `json:"variable_type"`
}

func (c *Client) scope() string {
	if c.environment == "" {
		return "*"
	}
	return c.environment
}

// owner returns where a push goes: the metadata's projectID, then groupID, then the
// store's project, then its first group.
func (c *Client) owner(opts pushOptions) (string, error) {
	switch {
	case opts.ProjectID != "":
		return projectPath(opts.ProjectID), nil
	case opts.GroupID != "":
		return groupPath(opts.GroupID), nil
	case c.projectID != "":
		return projectPath(c.projectID), nil
	case len(c.groupIDs) > 0:
		return groupPath(c.groupIDs[0]), nil
	}
	return "", fmt.Errorf("%s: no project or group to push to", field)
}

// get reads one variable of owner in the store's environment scope; found is false when
// GitLab has none.
func (c *Client) get(ctx context.Context, owner, key string) (variable, bool, error) {
	var v variable
	_, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: owner + "/variables/" + url.PathEscape(key),
		Query: url.Values{"filter[environment_scope]": {c.scope()}}}, &v)
	if restclient.Status(err) == http.StatusNotFound {
		return variable{}, false, nil
	}
	if err != nil {
		return variable{}, false, fmt.Errorf("reading variable %q of %s: %w", key, owner, err)
	}
	return v, true, nil
}

// PushSecret creates the variable (described as managed by external-secrets) or updates
// one that is so described; pushing the value already there writes nothing.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	var opts pushOptions
	if ref.Metadata != nil && len(ref.Metadata.Raw) > 0 {
		if err := json.Unmarshal(ref.Metadata.Raw, &opts); err != nil {
			return fmt.Errorf("metadata: not the JSON object of GitLab variable settings: %w", err)
		}
	}
	owner, err := c.owner(opts)
	if err != nil {
		return err
	}
	key := variableKey(ref.RemoteKey)
	old, found, err := c.get(ctx, owner, key)
	if err != nil {
		return err
	}
	if found && !managed(old.Description) {
		return fmt.Errorf("variable %q of %s: %w", key, owner, provider.ErrNotManaged)
	}
	next := string(value)
	if ref.Property != "" {
		if next, err = flatscope.SetProperty(old.Value, found, ref.Property, value); err != nil {
			return fmt.Errorf("variable %q: %w", key, err)
		}
	}
	if found && old.Value == next {
		return nil
	}
	body := map[string]any{"value": next, "environment_scope": c.scope()}
	opts.apply(body)
	req := restclient.Request{Method: http.MethodPost, Path: owner + "/variables", Body: body}
	if found {
		req.Method, req.Path = http.MethodPut, owner+"/variables/"+url.PathEscape(key)
		req.Query = url.Values{"filter[environment_scope]": {c.scope()}}
	} else {
		body["key"] = key
		if body["description"] == nil {
			body["description"] = managedDescription
		}
	}
	if _, err := c.api.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("writing variable %q of %s: %w", key, owner, err)
	}
	return nil
}

// apply copies the settings the metadata sets into a create or update body. A description
// keeps the managed mark, so Ferry still recognises the variable.
func (o pushOptions) apply(body map[string]any) {
	for k, v := range map[string]*bool{"masked": o.Masked, "protected": o.Protected, "raw": o.Raw} {
		if v != nil {
			body[k] = *v
		}
	}
	if o.Description != "" {
		d := o.Description
		if !managed(d) {
			d += " (" + managedDescription + ")"
		}
		body["description"] = d
	}
	switch o.VariableType {
	case "file":
		body["variable_type"] = "file"
	case "":
	default:
		body["variable_type"] = "env_var"
	}
}

// DeleteSecret deletes the variable of the store's project (or first group), or with a
// property removes that key from its JSON object. Only variables described as managed by
// external-secrets are touched; a missing one is no error.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	owner, err := c.owner(pushOptions{})
	if err != nil {
		return err
	}
	key := variableKey(ref.RemoteKey)
	old, found, err := c.get(ctx, owner, key)
	if err != nil || !found {
		return err
	}
	if !managed(old.Description) {
		return fmt.Errorf("variable %q of %s: %w", key, owner, provider.ErrNotManaged)
	}
	q := url.Values{"filter[environment_scope]": {c.scope()}}
	path := owner + "/variables/" + url.PathEscape(key)
	if ref.Property != "" {
		next, empty, had, err := flatscope.RemoveProperty(old.Value, ref.Property)
		if err != nil {
			return fmt.Errorf("variable %q: %w", key, err)
		}
		if !had {
			return nil
		}
		if !empty {
			_, err := c.api.Do(ctx, restclient.Request{Method: http.MethodPut, Path: path, Query: q, Body: map[string]any{"value": next}}, nil)
			if err != nil {
				return fmt.Errorf("writing variable %q of %s: %w", key, owner, err)
			}
			return nil
		}
	}
	_, err = c.api.Do(ctx, restclient.Request{Method: http.MethodDelete, Path: path, Query: q}, nil)
	if err != nil && restclient.Status(err) != http.StatusNotFound {
		return fmt.Errorf("deleting variable %q of %s: %w", key, owner, err)
	}
	return nil
}

// SecretExists says whether the variable (and its property) exists where DeleteSecret
// would look.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	owner, err := c.owner(pushOptions{})
	if err != nil {
		return false, err
	}
	v, found, err := c.get(ctx, owner, variableKey(ref.RemoteKey))
	if err != nil || !found || ref.Property == "" {
		return found, err
	}
	return flatscope.HasProperty(v.Value, ref.Property), nil
}
