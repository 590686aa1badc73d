package doppler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// secretsFileKey is the one key GetAllSecrets returns when the store sets a format: the
// whole download, as ESO names it.
const secretsFileKey = "DOPPLER_SECRETS_FILE"

const downloadPath = "/v3/configs/config/secrets/download"

// Client reads and writes one Doppler config.
type Client struct {
	flatscope.Batch
	api             *restclient.Client
	token           *restclient.Token
	project, config string
	format          string
	nameTransformer string
}

// errorMessage reads Doppler's error body: {"messages": [...], "success": false}.
func errorMessage(body []byte) string {
	var e struct {
		Messages []string `json:"messages"`
	}
	_ = json.Unmarshal(body, &e)
	return strings.Join(e.Messages, "; ")
}

// do sends req with the store's token; a refused token is forgotten, so that an OIDC
// store exchanges a new one on the next call.
func (c *Client) do(ctx context.Context, req restclient.Request, out any) (*restclient.Response, error) {
	token, err := c.token.Get(ctx)
	if err != nil {
		return nil, err
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.api.Do(ctx, req, out)
	if restclient.Status(err) == http.StatusUnauthorized {
		c.token.Forget(token)
	}
	return resp, err
}

// scope returns the query naming the store's project and config (none for a service
// token, which names its own).
func (c *Client) scope() url.Values {
	q := url.Values{}
	if c.project != "" {
		q.Set("project", c.project)
		q.Set("config", c.config)
	}
	return q
}

// download reads the config's secrets as a JSON object of names to values; only, when set,
// the one secret named.
func (c *Client) download(ctx context.Context, only string, transform bool) (map[string]string, error) {
	q := c.scope()
	q.Set("format", "json")
	if only != "" {
		q.Set("secrets", only)
	}
	if transform && c.nameTransformer != "" {
		q.Set("name_transformer", c.nameTransformer)
	}
	var values map[string]string
	if _, err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: downloadPath, Query: q}, &values); err != nil {
		return nil, fmt.Errorf("downloading the config's secrets: %w", err)
	}
	return values, nil
}

// readConfig reads every secret of the config, for the fetcher's one document.
func (c *Client) readConfig(ctx context.Context) (map[string]string, error) {
	return c.download(ctx, "", false)
}

func checkRef(ref esv1.ExternalSecretDataRemoteRef) error {
	return flatscope.CheckCurrent(ref, "Doppler")
}

// GetSecret returns the secret named ref.Key, or the JSON property ref.Property of it.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	values, err := c.download(ctx, ref.Key, false)
	if err != nil {
		return nil, err
	}
	return flatscope.Get(values, ref)
}

// GetSecretMap spreads the JSON object in the secret named ref.Key into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	values, err := c.download(ctx, ref.Key, false)
	if err != nil {
		return nil, err
	}
	return flatscope.GetMap(values, ref)
}

// GetAllSecrets returns the config's secrets whose (transformed) names match find: all of
// them without a condition, as ESO does. With a format set, it returns the whole download
// in that format under one key, DOPPLER_SECRETS_FILE.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("dataFrom.find.tags: Doppler secrets have no tags; select by name.regexp or path")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	if c.format != "" {
		return c.file(ctx)
	}
	values, err := c.download(ctx, "", true)
	if err != nil {
		return nil, err
	}
	return flatscope.Select(values, sel), nil
}

// file downloads the config in the store's format (json, env, yaml, docker, dotnet-json).
func (c *Client) file(ctx context.Context) (map[string][]byte, error) {
	q := c.scope()
	q.Set("format", c.format)
	if c.nameTransformer != "" {
		q.Set("name_transformer", c.nameTransformer)
	}
	req := restclient.Request{Method: http.MethodGet, Path: downloadPath, Query: q}
	if c.format != "json" {
		req.Header = http.Header{"Accept": {"text/plain"}}
	}
	resp, err := c.do(ctx, req, nil)
	if err != nil {
		return nil, fmt.Errorf("downloading the config's secrets as %s: %w", c.format, err)
	}
	return map[string][]byte{secretsFileKey: resp.Body}, nil
}

// Validate checks that the token can download the config.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.download(ctx, "", false); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
