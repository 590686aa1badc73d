package delinea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Client reads one DSV tenant for a store.
type Client struct {
	api    *api
	tokens *credcache.Source
}

var _ provider.Client = (*Client)(nil)

// secret is DSV's answer to a read of secrets/<path>.
type secret struct {
	Data       json.RawMessage `json:"data"`
	Attributes json.RawMessage `json:"attributes"`
	Version    string          `json:"version"`
}

// GetSecret returns the secret's data as a JSON object, or the value at ref.Property
// inside it; with metadataPolicy Fetch, its attributes instead.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return property.SelectFrom(ctx, c.document, ref, "delinea dsv secret")
}

// GetSecretMap spreads the secret's data (or the object at ref.Property inside it, or its
// attributes with metadataPolicy Fetch) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadFrom(ctx, c.document, ref, "delinea dsv secret")
}

// document reads the secret at ref.Key: its data, or its attributes.
func (c *Client) document(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("remoteRef.version %q: Ferry reads the current version of a DSV secret only, as External Secrets Operator does", ref.Version)
	}
	var s secret
	if err := c.authorized(ctx, http.MethodGet, "secrets", ref.Key, &s); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return nil, provider.NotFound(ref.Key)
		}
		return nil, fmt.Errorf("reading delinea dsv secret %q: %w", ref.Key, err)
	}
	doc := s.Data
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		doc = s.Attributes
	}
	if t := bytes.TrimSpace(doc); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return []byte("{}"), nil
	}
	return doc, nil
}

// authorized sends a request with the client's token; a token DSV refuses is replaced
// once and the request repeated.
func (c *Client) authorized(ctx context.Context, method, resource, path string, out any) error {
	token, err := c.tokens.Get(ctx)
	if err != nil {
		return err
	}
	err = c.api.do(ctx, method, resource, path, token, nil, out)
	if statusOf(err) == http.StatusUnauthorized && c.tokens.Rejected(token) {
		if token, err = c.tokens.Get(ctx); err != nil {
			return err
		}
		err = c.api.do(ctx, method, resource, path, token, nil, out)
	}
	return err
}

// GetAllSecrets is not supported: External Secrets Operator does not list DSV either.
func (c *Client) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate proves that DSV accepts the client credentials by logging in.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.tokens.Get(ctx); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the delinea dsv credentials: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}

func pathEscape(s string) string { return url.PathEscape(s) }
