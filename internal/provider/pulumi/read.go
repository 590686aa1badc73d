package pulumi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const (
	// sessionReuse is how long an open session may serve reads: an open session is a
	// snapshot of the environment, so it serves one wave of reads, not a refresh interval.
	// credcache replaces it after two thirds of this.
	sessionReuse = 15 * time.Second
	// sessionLifetime is the lifetime asked for when opening, longer than sessionReuse so
	// that a session never expires under a read.
	sessionLifetime = "2m"
)

// Client reads the values of one ESC environment.
type Client struct {
	api        *restclient.Client
	token      *credcache.Source // the Pulumi access token
	envPath    string            // /environments/{org}/{project}/{env}, escaped
	envName    string            // org/project/env, for messages
	tokenField string            // where the token comes from, for hints
	session    *credcache.Source // the open session's ID
	now        func() time.Time
}

// auth returns the Authorization header of the client's token.
func (c *Client) auth(ctx context.Context) (http.Header, error) {
	token, err := c.token.Get(ctx)
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"token " + token}}, nil
}

// errorMessage reads Pulumi's error body, {"code": ..., "message": ...}.
func errorMessage(body []byte) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Message
}

// hint adds what a user checks to an answer of 401, 403, 404 or 429.
func (c *Client) hint(err error) error {
	switch restclient.Status(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (Pulumi did not accept the access token: check %s)", err, c.tokenField)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the token may not open environment %s)", err, c.envName)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w (%s)", err, provider.RateLimitHint)
	}
	return err
}

// open opens the environment and returns the session's ID as a credential that serves
// reads for sessionReuse.
func (c *Client) open(ctx context.Context) (credcache.Token, error) {
	var out struct {
		ID json.RawMessage `json:"id"` // a string in the SDK, a number in the REST reference's example
	}
	auth, err := c.auth(ctx)
	if err != nil {
		return credcache.Token{}, err
	}
	req := restclient.Request{Method: http.MethodPost, Path: c.envPath + "/open", Header: auth,
		Query: url.Values{"duration": {sessionLifetime}}}
	if _, err := c.api.Do(ctx, req, &out); err != nil {
		err = c.hint(err)
		if restclient.Status(err) == http.StatusNotFound {
			err = fmt.Errorf("%w (no environment %s, or the token cannot see it)", err, c.envName)
		}
		return credcache.Token{}, fmt.Errorf("opening environment %s: %w", c.envName, err)
	}
	id := strings.Trim(string(bytes.TrimSpace(out.ID)), `"`)
	if id == "" || id == "null" {
		return credcache.Token{}, fmt.Errorf("opening environment %s: the answer holds no session id", c.envName)
	}
	return credcache.Token{Value: id, Expiry: c.now().Add(sessionReuse)}, nil
}

// read returns the value at path in an open session of the environment, as plain JSON.
// A session is a snapshot taken when it was opened, so a 404 from a cached session (the
// property was added since, or the session ended) is asked again of a session opened for
// this read; only a 404 from that one is a missing property.
func (c *Client) read(ctx context.Context, path string) (any, error) {
	session, err := c.session.Get(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := c.readSession(ctx, session, path)
	if restclient.Status(err) == http.StatusNotFound {
		c.session.Rejected(session)
		return c.readFresh(ctx, path)
	}
	return c.decode(raw, path, err)
}

// readFresh reads path from a session opened for this read alone: what the environment
// holds now.
func (c *Client) readFresh(ctx context.Context, path string) (any, error) {
	fresh, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := c.readSession(ctx, fresh.Value, path)
	return c.decode(raw, path, err)
}

// decode turns a read's answer into a plain value, or its error into one that names the
// path, provider.ErrNotFound for a 404.
func (c *Client) decode(raw json.RawMessage, path string, err error) (any, error) {
	if err != nil {
		err = fmt.Errorf("reading %q of environment %s: %w", path, c.envName, c.hint(err))
		return nil, restclient.NotFoundOr(err, path)
	}
	v, err := plain(raw)
	if err != nil {
		return nil, fmt.Errorf("reading %q of environment %s: %w", path, c.envName, err)
	}
	return v, nil
}

func (c *Client) readSession(ctx context.Context, session, path string) (json.RawMessage, error) {
	auth, err := c.auth(ctx)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	req := restclient.Request{Method: http.MethodGet, Path: c.envPath + "/open/" + url.PathEscape(session),
		Query: url.Values{"property": {path}}, Header: auth}
	_, err = c.api.Do(ctx, req, &raw)
	return raw, err
}

// plain turns an ESC Value ({"value": ..., "secret": ..., "unknown": ..., "trace": ...},
// whose objects and arrays hold Values in turn) into the plain JSON value it stands for.
func plain(raw json.RawMessage) (any, error) {
	var v struct {
		Value   json.RawMessage `json:"value"`
		Unknown bool            `json:"unknown"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, errors.New("the answer is not an ESC value")
	}
	if v.Unknown {
		return nil, errors.New("ESC reports the value as unknown (it depends on an output not yet available)")
	}
	inner := bytes.TrimSpace(v.Value)
	switch {
	case len(inner) == 0:
		return nil, errors.New("the answer is not an ESC value")
	case inner[0] == '{':
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(inner, &fields); err != nil {
			return nil, errors.New("the answer is not an ESC value")
		}
		out := make(map[string]any, len(fields))
		for k, f := range fields {
			p, err := plain(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = p
		}
		return out, nil
	case inner[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(inner, &items); err != nil {
			return nil, errors.New("the answer is not an ESC value")
		}
		out := make([]any, len(items))
		for i, item := range items {
			p, err := plain(item)
			if err != nil {
				return nil, fmt.Errorf("%d: %w", i, err)
			}
			out[i] = p
		}
		return out, nil
	}
	var scalar any
	if err := json.Unmarshal(inner, &scalar); err != nil {
		return nil, errors.New("the answer is not an ESC value")
	}
	return scalar, nil
}

// GetSecret returns the value at the property path ref.Key of the environment: a string as
// its bytes, anything else as JSON; ref.Property then selects inside a JSON value.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("%q: Ferry reads the environment's latest revision; remove remoteRef.version", ref.Key)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return nil, fmt.Errorf("%q: Ferry does not read ESC metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	v, err := c.read(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(string)
	if !ok {
		encoded, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", ref.Key, err)
		}
		doc = string(encoded)
	}
	out, err := property.Select([]byte(doc), ref.Property)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref.Key, err)
	}
	return out, nil
}

// GetSecretMap spreads the object at ref.Key (and ref.Property in it) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets is not supported, as in ESO: an environment is one tree of values, read by
// property path.
func (*Client) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate opens the environment: the token is accepted and the environment exists.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.session.Get(ctx); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
