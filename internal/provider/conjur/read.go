package conjur

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// pageSize is how many resources one listing asks for.
const pageSize = 100

// Client reads one Conjur account for a store.
type Client struct {
	api    *api
	tokens *credcache.Source
}

var _ provider.Client = (*Client)(nil)

// resource is one entry of Conjur's resource listing.
type resource struct {
	ID          string `json:"id"`
	Annotations []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"annotations"`
}

// name is the variable's id without "account:variable:".
func (r resource) name() string {
	parts := strings.SplitN(r.ID, ":", 3)
	return parts[len(parts)-1]
}

func (r resource) tags() map[string]string {
	out := make(map[string]string, len(r.Annotations))
	for _, a := range r.Annotations {
		out[a.Name] = a.Value
	}
	return out
}

// authorized sends c with the client's access token; when Conjur refuses a token as
// expired or revoked, the token is replaced once and the call repeated.
func (c *Client) authorized(ctx context.Context, req call) ([]byte, string, error) {
	token, err := c.tokens.Get(ctx)
	if err != nil {
		return nil, "", err
	}
	req.token = token
	raw, enc, err := c.api.do(ctx, req)
	if statusOf(err) == http.StatusUnauthorized && c.tokens.Rejected(token) {
		if req.token, err = c.tokens.Get(ctx); err != nil {
			return nil, "", err
		}
		raw, enc, err = c.api.do(ctx, req)
	}
	return raw, enc, err
}

// GetSecret returns the variable's value, the value at ref.Property of a JSON value, or
// with metadataPolicy Fetch the variable's annotations (one of them with a property).
// ref.Version reads that version of the variable.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	doc, err := c.document(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ref.Property == "" {
		return doc, nil
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		var tags map[string]string
		if json.Unmarshal(doc, &tags) == nil {
			if v, ok := tags[ref.Property]; ok {
				return []byte(v), nil
			}
		}
	}
	out, err := property.Get(doc, ref.Property)
	if err != nil {
		return nil, fmt.Errorf("conjur variable %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetSecretMap spreads a JSON object value (or the object at ref.Property inside it) into
// keys; with metadataPolicy Fetch it returns the variable's annotations.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadFrom(ctx, c.document, ref, "conjur variable")
}

// document is the value ref reads: the variable's value, or its annotations as JSON.
func (c *Client) document(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		res, err := c.resource(ctx, ref.Key)
		if err != nil {
			return nil, err
		}
		return mapJSON(res.tags()), nil
	}
	return c.value(ctx, ref.Key, ref.Version)
}

// value reads a variable's current value, or the version named.
func (c *Client) value(ctx context.Context, key, version string) ([]byte, error) {
	req := call{method: http.MethodGet, path: "/secrets/" + escape(c.api.account) + "/variable/" + escape(key)}
	if version != "" {
		if n, err := strconv.ParseUint(version, 10, 32); err != nil || n == 0 {
			return nil, fmt.Errorf("remoteRef.version %q: a Conjur variable version is a positive number", version)
		}
		req.query = url.Values{"version": {version}}
	}
	raw, _, err := c.authorized(ctx, req)
	if err != nil {
		return nil, readError(err, key)
	}
	return raw, nil
}

// resource reads one variable's resource record (its annotations).
func (c *Client) resource(ctx context.Context, key string) (*resource, error) {
	raw, _, err := c.authorized(ctx, call{method: http.MethodGet,
		path: "/resources/" + escape(c.api.account) + "/variable/" + escape(key)})
	if err != nil {
		return nil, readError(err, key)
	}
	var res resource
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("conjur variable %q: the resource answer is not JSON", key)
	}
	return &res, nil
}

// GetAllSecrets lists the account's variables a page at a time, keeps those whose id
// matches find.name (and find.path as a prefix) and whose annotations hold every find.tags
// pair, and reads their values in one batch call. Keys are the variable ids.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	f, err := provider.CompileFind(find, provider.FindOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for offset := 0; ; offset += pageSize {
		page, err := c.listPage(ctx, offset)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if f.Match(r.name(), r.tags()) {
				names = append(names, r.name())
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	if len(names) == 0 {
		return map[string][]byte{}, nil
	}
	return c.batch(ctx, names)
}

func (c *Client) listPage(ctx context.Context, offset int) ([]resource, error) {
	q := url.Values{"kind": {"variable"}, "limit": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(offset)}}
	raw, _, err := c.authorized(ctx, call{method: http.MethodGet, path: "/resources/" + escape(c.api.account), query: q})
	if err != nil {
		return nil, fmt.Errorf("listing conjur variables: %w", err)
	}
	var page []resource
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("listing conjur variables: the answer is not a JSON list")
	}
	return page, nil
}

// batch reads the current values of names in one call (GET /secrets?variable_ids=), in
// base64 so binary values survive.
func (c *Client) batch(ctx context.Context, names []string) (map[string][]byte, error) {
	sort.Strings(names)
	prefix := c.api.account + ":variable:"
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = prefix + n
	}
	raw, enc, err := c.authorized(ctx, call{method: http.MethodGet, path: "/secrets",
		query: url.Values{"variable_ids": {strings.Join(ids, ",")}}, base64: true})
	if err != nil {
		return nil, fmt.Errorf("reading %d conjur variables: %w", len(ids), err)
	}
	var values map[string]string
	if err := json.Unmarshal(raw, &values); err != nil {
		return nil, fmt.Errorf("reading %d conjur variables: the answer is not a JSON object", len(ids))
	}
	out := make(map[string][]byte, len(values))
	for id, v := range values {
		value := []byte(v)
		if enc == "base64" {
			if value, err = base64.StdEncoding.DecodeString(v); err != nil {
				return nil, fmt.Errorf("conjur variable %q: the batch answer is not base64", strings.TrimPrefix(id, prefix))
			}
		}
		out[strings.TrimPrefix(id, prefix)] = value
	}
	return out, nil
}

// Validate proves that Conjur accepts the store's credentials: it logs in and asks who
// the token belongs to.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, _, err := c.authorized(ctx, call{method: http.MethodGet, path: "/whoami"}); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the conjur credentials: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections; access tokens expire on their own.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}

// readError maps 404 to provider.ErrNotFound and names the key in any other error.
func readError(err error, key string) error {
	if statusOf(err) == http.StatusNotFound {
		return provider.NotFound(key)
	}
	return fmt.Errorf("reading conjur variable %q: %w", key, err)
}

// mapJSON encodes a string map with sorted keys and without HTML escaping.
func mapJSON(m map[string]string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
