package akeyless

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Akeyless's item types, as /describe-item and /list-items name them.
const (
	typeStatic      = "STATIC_SECRET"
	typeDynamic     = "DYNAMIC_SECRET"
	typeRotated     = "ROTATED_SECRET"
	typeCertificate = "CERTIFICATE"
)

// listedTypes are the item types dataFrom.find lists, as ESO lists them.
var listedTypes = []string{"static-secret", "dynamic-secret", "rotated-secret"}

// Client reads one Akeyless endpoint for a store.
type Client struct {
	api         *api
	tokens      *credcache.Source
	ignoreCache bool
	types       *itemTypes
}

var _ provider.Client = (*Client)(nil)

// GetSecret returns the value of the item ref.Key names (of ref.Version, when set), or the
// value at ref.Property inside it.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return property.SelectFrom(ctx, c.document, ref, "akeyless item")
}

// GetSecretMap spreads the item's JSON value (or the object at ref.Property inside it)
// into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadFrom(ctx, c.document, ref, "akeyless item")
}

func (c *Client) document(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	version, err := parseVersion(ref.Version)
	if err != nil {
		return nil, err
	}
	return c.value(ctx, ref.Key, version)
}

// parseVersion reads remoteRef.version: empty or 0 is the latest version.
func parseVersion(v string) (int32, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("remoteRef.version %q: an Akeyless version is a whole number (0 or empty for the latest)", v)
	}
	return int32(n), nil
}

// value reads an item by its type: a static secret's value as stored, a dynamic secret's
// credentials, a rotated secret's value and a certificate as the JSON objects Akeyless
// answers. Dynamic secrets have no versions; a version asked of one is ignored, as ESO does.
func (c *Client) value(ctx context.Context, name string, version int32) ([]byte, error) {
	itemType, err := c.itemType(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []byte
	switch itemType {
	case typeStatic:
		out, err = c.staticValue(ctx, name, version)
	case typeDynamic:
		out, err = c.objectValue(ctx, "get-dynamic-secret-value", map[string]any{"name": name})
	case typeRotated:
		out, err = c.rotatedValue(ctx, name, version)
	case typeCertificate:
		out, err = c.objectValue(ctx, "get-certificate-value", withVersion(map[string]any{"name": name}, version))
	default:
		return nil, fmt.Errorf("akeyless item %q is a %s; Ferry reads static, dynamic and rotated secrets and certificates", name, itemType)
	}
	if itemMissing(err) {
		c.types.forget(name)
		return nil, fmt.Errorf("%w (%w)", provider.NotFound(name), err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading akeyless item %q: %w", name, err)
	}
	return out, nil
}

func withVersion(body map[string]any, version int32) map[string]any {
	if version > 0 {
		body["version"] = version
	}
	return body
}

// itemType returns the item's type from the cache or /describe-item; a 404 is "not found".
func (c *Client) itemType(ctx context.Context, name string) (string, error) {
	if t, ok := c.types.get(name); ok {
		return t, nil
	}
	var item struct {
		ItemName string `json:"item_name"`
		ItemType string `json:"item_type"`
	}
	err := c.authorized(ctx, "describe-item", map[string]any{"name": name}, &item)
	if itemMissing(err) {
		return "", fmt.Errorf("%w (%w)", provider.NotFound(name), err)
	}
	if err != nil {
		return "", fmt.Errorf("describing akeyless item %q: %w", name, err)
	}
	if item.ItemType == "" {
		return "", fmt.Errorf("describing akeyless item %q: the answer names no item type", name)
	}
	c.types.set(name, item.ItemType)
	return item.ItemType, nil
}

// staticValue reads /get-secret-value, whose answer maps the name asked to its value.
func (c *Client) staticValue(ctx context.Context, name string, version int32) ([]byte, error) {
	body := withVersion(map[string]any{"names": []string{name}, "ignore-cache": strconv.FormatBool(c.ignoreCache)}, version)
	var out map[string]json.RawMessage
	if err := c.authorized(ctx, "get-secret-value", body, &out); err != nil {
		return nil, err
	}
	raw, ok := out[name]
	if !ok {
		return nil, fmt.Errorf("akeyless get-secret-value: the answer holds no value for %q", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("akeyless get-secret-value: the value of %q is not a string", name)
	}
	return []byte(s), nil
}

// rotatedValue reads /get-rotated-secret-value: its "value" object's payload when it has
// one, else its target_value, else the object itself (as ESO reads it).
func (c *Client) rotatedValue(ctx context.Context, name string, version int32) ([]byte, error) {
	var out map[string]json.RawMessage
	if err := c.authorized(ctx, "get-rotated-secret-value", withVersion(map[string]any{"names": name}, version), &out); err != nil {
		return nil, err
	}
	value, ok := out["value"]
	if !ok {
		return json.Marshal(out)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(value, &fields); err != nil {
		return nil, fmt.Errorf("akeyless get-rotated-secret-value: the value of %q is not a JSON object", name)
	}
	if payload, ok := fields["payload"]; ok {
		var s string
		if json.Unmarshal(payload, &s) == nil {
			return []byte(s), nil
		}
		return payload, nil
	}
	if target, ok := fields["target_value"]; ok {
		return target, nil
	}
	return value, nil
}

// objectValue reads a command whose whole answer is the value, a JSON object.
func (c *Client) objectValue(ctx context.Context, command string, body map[string]any) ([]byte, error) {
	var out json.RawMessage
	if err := c.authorized(ctx, command, body, &out); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out), nil
}

// authorized sends a command with the client's token in its body; a token Akeyless
// refuses is replaced once and the command repeated.
func (c *Client) authorized(ctx context.Context, command string, body map[string]any, out any) error {
	token, err := c.tokens.Get(ctx)
	if err != nil {
		return &loginError{err: err}
	}
	body["token"] = token
	err = c.api.do(ctx, command, body, out)
	if statusOf(err) == http.StatusUnauthorized && c.tokens.Rejected(token) {
		if token, err = c.tokens.Get(ctx); err != nil {
			return &loginError{err: err}
		}
		body["token"] = token
		err = c.api.do(ctx, command, body, out)
	}
	return err
}

func statusOf(err error) int { return provider.HTTPStatus(err) }

// loginError is a failed login met on the way to a command: its status (a 404 from a URL
// that is not Akeyless's API) says nothing about the item.
type loginError struct{ err error }

func (e *loginError) Error() string { return e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

// itemMissing says whether Akeyless answered a command about an item with 404, the one
// answer that means the item (or its version) does not exist.
func itemMissing(err error) bool {
	var login *loginError
	return statusOf(err) == http.StatusNotFound && !errors.As(err, &login)
}

// listedItem is one item of a /list-items answer.
type listedItem struct {
	ItemName string   `json:"item_name"`
	ItemType string   `json:"item_type"`
	ItemTags []string `json:"item_tags"`
}

// maxListPages bounds a listing, so a server that pages forever cannot hold a sync.
const maxListPages = 1000

// GetAllSecrets lists the static, dynamic and rotated secrets below find.path (with a tag
// when find.tags is set) and returns the value of each whose name matches find.name and
// that carries every tag value find.tags asks for, keyed by item name. Akeyless tags are
// plain strings, so find.tags {k: v} asks for the tag v. Empty values are left out, as ESO
// leaves them out.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if find.Path != nil && *find.Path != "" {
		path := *find.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if !strings.HasSuffix(path, "/") {
			path += "/"
		}
		find.Path = &path
	}
	f, err := provider.CompileFind(find, provider.FindOptions{})
	if err != nil {
		return nil, err
	}
	wantTags := make([]string, 0, len(f.Tags))
	for _, v := range f.Tags {
		wantTags = append(wantTags, v)
	}
	slices.Sort(wantTags)
	items, err := c.list(ctx, f.Path, wantTags)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, item := range items {
		if !f.MatchName(item.ItemName) || !carriesAll(item.ItemTags, wantTags) {
			continue
		}
		if item.ItemType != "" {
			c.types.set(item.ItemName, item.ItemType)
		}
		v, err := c.value(ctx, item.ItemName, 0)
		if err != nil {
			return nil, err
		}
		if len(v) > 0 {
			out[item.ItemName] = v
		}
	}
	return out, nil
}

func carriesAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// list pages through /list-items below path, filtered by the first tag wanted.
func (c *Client) list(ctx context.Context, path string, tags []string) ([]listedItem, error) {
	var items []listedItem
	page := ""
	for range maxListPages {
		body := map[string]any{"filter": path, "type": listedTypes, "minimal-view": len(tags) == 0}
		if len(tags) > 0 {
			body["tag"] = tags[0]
		}
		if page != "" {
			body["pagination-token"] = page
		}
		var out struct {
			Items    []listedItem `json:"items"`
			NextPage string       `json:"next_page"`
		}
		if err := c.authorized(ctx, "list-items", body, &out); err != nil {
			return nil, fmt.Errorf("listing akeyless items: %w", err)
		}
		items = append(items, out.Items...)
		if out.NextPage == "" {
			return items, nil
		}
		page = out.NextPage
	}
	return nil, fmt.Errorf("listing akeyless items: more than %d pages", maxListPages)
}

// Validate proves that Akeyless accepts the store's credentials by logging in.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.tokens.Get(ctx); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the akeyless credentials: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}
