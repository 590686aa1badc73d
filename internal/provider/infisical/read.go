package infisical

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const secretsPath = "/v3/secrets/raw"

// Client reads and writes one Infisical project, environment and folder.
type Client struct {
	flatscope.Batch
	api         *restclient.Client
	token       *restclient.Token
	project     string
	environment string
	folder      string
	recursive   bool
	expand      bool

	projectMu sync.Mutex
	projectID string
}

// secret is one secret as the raw endpoints return it.
type secret struct {
	SecretKey   string `json:"secretKey"`
	SecretValue string `json:"secretValue"`
	SecretPath  string `json:"secretPath"`
}

// errorMessage reads Infisical's error body: {"statusCode", "message", "error"}.
func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Message
}

// do sends req with the access token; a refused token is forgotten so the next call logs
// in again.
func (c *Client) do(ctx context.Context, req restclient.Request, out any) error {
	token, err := c.token.Get(ctx)
	if err != nil {
		return err
	}
	req.Header = restclient.Bearer(token)
	_, err = c.api.Do(ctx, req, out)
	if restclient.Status(err) == http.StatusUnauthorized {
		c.token.Forget(token)
	}
	return err
}

// address returns the folder and name a remote key points at, as ESO resolves it: a bare
// name is in the store's folder, "/a/b/NAME" is absolute, "sub/NAME" is below the
// store's folder.
func (c *Client) address(key string) (folder, name string) {
	i := strings.LastIndex(key, "/")
	if i < 0 {
		return c.folder, key
	}
	folder, name = key[:i], key[i+1:]
	if strings.HasPrefix(key, "/") {
		return path.Clean("/" + folder), name
	}
	return path.Join(c.folder, folder), name
}

func (c *Client) query(folder string) url.Values {
	return url.Values{
		"workspaceSlug": {c.project}, "environment": {c.environment}, "secretPath": {folder},
		"expandSecretReferences": {strconv.FormatBool(c.expand)}, "include_imports": {"true"},
	}
}

// list reads the secrets of folder (and its sub-folders when recursive), imported ones
// first so that the folder's own win, keyed by name.
func (c *Client) list(ctx context.Context, folder string, recursive bool) ([]secret, error) {
	q := c.query(folder)
	q.Set("recursive", strconv.FormatBool(recursive))
	var out struct {
		Secrets []secret `json:"secrets"`
		Imports []struct {
			Secrets []secret `json:"secrets"`
		} `json:"imports"`
	}
	if err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: secretsPath, Query: q}, &out); err != nil {
		return nil, fmt.Errorf("listing the secrets of %s %s: %w", c.environment, folder, err)
	}
	var all []secret
	for _, imp := range out.Imports {
		all = append(all, imp.Secrets...)
	}
	return append(all, out.Secrets...), nil
}

// readFolder reads the store's folder, for the fetcher's one document.
func (c *Client) readFolder(ctx context.Context) (map[string]string, error) {
	secrets, err := c.list(ctx, c.folder, false)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(secrets))
	for _, s := range secrets {
		values[s.SecretKey] = s.SecretValue
	}
	return values, nil
}

// DocumentKey serves keys of the store's own folder from its one document; keys naming
// another folder, versions and metadata need a call of their own.
func (c *Client) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	if strings.Contains(ref.Key, "/") {
		return "", false
	}
	return c.Batch.DocumentKey(ref)
}

// get reads one secret (at version, when set); a missing one is provider.ErrNotFound.
func (c *Client) get(ctx context.Context, key, version string) (string, error) {
	folder, name := c.address(key)
	q := c.query(folder)
	q.Set("type", "shared")
	if version != "" {
		q.Set("version", version)
	}
	var out struct {
		Secret secret `json:"secret"`
	}
	err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: secretsPath + "/" + url.PathEscape(name), Query: q}, &out)
	if err != nil {
		return "", restclient.NotFoundOr(fmt.Errorf("reading secret %q: %w", key, err), key)
	}
	return out.Secret.SecretValue, nil
}

func (c *Client) value(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string]string, error) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return nil, fmt.Errorf("%q: Ferry does not read Infisical secret metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	if ref.Version != "" {
		if _, err := strconv.ParseUint(ref.Version, 10, 32); err != nil {
			return nil, fmt.Errorf("%q: remoteRef.version %q is not an Infisical version number", ref.Key, ref.Version)
		}
	}
	v, err := c.get(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	return map[string]string{ref.Key: v}, nil
}

// GetSecret returns the secret at ref.Key (at ref.Version), or its JSON property.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	values, err := c.value(ctx, ref)
	if err != nil {
		return nil, err
	}
	return flatscope.Get(values, ref)
}

// GetSecretMap spreads the JSON object in the secret at ref.Key into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	values, err := c.value(ctx, ref)
	if err != nil {
		return nil, err
	}
	return flatscope.GetMap(values, ref)
}

// GetAllSecrets returns the secrets of the store's folder (and sub-folders when the scope
// is recursive) whose names match find.name and whose folder starts with find.path: all
// of them without a condition, as ESO does.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("dataFrom.find.tags: Ferry does not select Infisical secrets by tag; select by name.regexp or path")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{EmptySelectsAll: true, PathIsScope: true})
	if err != nil {
		return nil, err
	}
	secrets, err := c.list(ctx, c.folder, c.recursive)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, s := range secrets {
		if sel.MatchName(s.SecretKey) && (sel.Path == "" || strings.HasPrefix(s.SecretPath, sel.Path)) {
			out[s.SecretKey] = []byte(s.SecretValue)
		}
	}
	return out, nil
}

// Validate checks that the identity can list the store's folder.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.list(ctx, c.folder, false); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
