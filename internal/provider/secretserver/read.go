package secretserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// searchPage is how many search results one name lookup reads: the exact name is taken
// from them when present, else the first result, as ESO takes.
const searchPage = 50

// Client reads one Secret Server for a store.
type Client struct {
	api    *restclient.Client
	tokens tokenSource
}

var _ provider.Client = (*Client)(nil)

// secret is Secret Server's secret model. Its JSON names are those ESO renders the whole
// secret with (the Go names of Delinea's SDK); Secret Server's camelCase answer decodes
// into them, as encoding/json matches names without regard to case.
type secret struct {
	Name                             string  `json:"Name"`
	FolderID                         int     `json:"FolderID"`
	ID                               int     `json:"ID"`
	SiteID                           int     `json:"SiteID"`
	SecretTemplateID                 int     `json:"SecretTemplateID"`
	SecretPolicyID                   int     `json:"SecretPolicyID,omitempty"`
	PasswordTypeWebScriptID          int     `json:"PasswordTypeWebScriptID,omitempty"`
	LauncherConnectAsSecretID        int     `json:"LauncherConnectAsSecretID"`
	CheckOutIntervalMinutes          int     `json:"CheckOutIntervalMinutes"`
	Active                           bool    `json:"Active"`
	CheckedOut                       bool    `json:"CheckedOut"`
	CheckOutEnabled                  bool    `json:"CheckOutEnabled"`
	AutoChangeEnabled                bool    `json:"AutoChangeEnabled"`
	CheckOutChangePasswordEnabled    bool    `json:"CheckOutChangePasswordEnabled"`
	DelayIndexing                    bool    `json:"DelayIndexing"`
	EnableInheritPermissions         bool    `json:"EnableInheritPermissions"`
	EnableInheritSecretPolicy        bool    `json:"EnableInheritSecretPolicy"`
	ProxyEnabled                     bool    `json:"ProxyEnabled"`
	RequiresComment                  bool    `json:"RequiresComment"`
	SessionRecordingEnabled          bool    `json:"SessionRecordingEnabled"`
	WebLauncherRequiresIncognitoMode bool    `json:"WebLauncherRequiresIncognitoMode"`
	Items                            []field `json:"Items"`
}

// field is one item of a secret.
type field struct {
	ItemID           int    `json:"ItemID"`
	FieldID          int    `json:"FieldID"`
	FileAttachmentID int    `json:"FileAttachmentID"`
	FieldName        string `json:"FieldName"`
	Slug             string `json:"Slug"`
	FieldDescription string `json:"FieldDescription"`
	Filename         string `json:"Filename"`
	ItemValue        string `json:"ItemValue"`
	IsFile           bool   `json:"IsFile"`
	IsNotes          bool   `json:"IsNotes"`
	IsPassword       bool   `json:"IsPassword"`
}

// GetSecret returns, without ref.Property, the whole secret as JSON as ESO renders it. With
// a property, it returns the value at that path in the JSON the secret's first field holds,
// or else the value of the field whose slug or name it is.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	s, err := c.read(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ref.Property == "" {
		whole, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("secret server secret %q: encoding it: %w", ref.Key, err)
		}
		return whole, nil
	}
	v, err := s.property(ref.Property)
	if err != nil {
		return nil, fmt.Errorf("secret server secret %q: %w", ref.Key, err)
	}
	return v, nil
}

// property is ESO's rule: the value at path in the JSON the first field holds, or else the
// value of the field whose slug or name path is.
func (s *secret) property(path string) ([]byte, error) {
	if len(s.Items) > 0 {
		if first := []byte(s.Items[0].ItemValue); json.Valid(first) {
			if v, err := property.Get(first, path); err == nil {
				return v, nil
			}
		}
	}
	for _, f := range s.Items {
		if f.Slug == path || f.FieldName == path {
			return []byte(f.ItemValue), nil
		}
	}
	return nil, fmt.Errorf("%w: %q is neither a key of the JSON in the first field nor the slug or name of a field",
		property.ErrNoSuchProperty, path)
}

// GetSecretMap spreads the JSON object the secret's first field holds (or the object at
// ref.Property inside it) into keys, as ESO does.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	s, err := c.read(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("secret server secret %q has no fields: extract reads the JSON object of its first field", ref.Key)
	}
	out, err := property.SpreadAt([]byte(s.Items[0].ItemValue), ref.Property)
	if err != nil {
		return nil, fmt.Errorf("secret server secret %q, field %q: %w", ref.Key, s.Items[0].Slug, err)
	}
	return out, nil
}

// read finds the secret ref.Key names: a numeric id, a folder path starting with "/", or
// otherwise a name to search for.
func (c *Client) read(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (*secret, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("remoteRef.version %q: Secret Server secrets are read at their current state only, as External Secrets Operator reads them", ref.Version)
	}
	key := ref.Key
	switch {
	case strings.HasPrefix(key, "/"):
		var s secret
		if err := c.get(ctx, "/api/v1/secrets/0", url.Values{"secretPath": {key}}, &s); err != nil {
			return nil, notFoundOr(err, key)
		}
		if s.ID <= 0 {
			return nil, fmt.Errorf("secret server secret %q: the answer names no secret id", key)
		}
		return &s, c.attachments(ctx, &s)
	case isID(key):
		id, err := strconv.Atoi(key)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("secret server secret %q: an id is a positive number", key)
		}
		return c.byID(ctx, id, key)
	default:
		return c.byName(ctx, key)
	}
}

func isID(key string) bool {
	return key != "" && strings.Trim(key, "0123456789") == ""
}

func (c *Client) byID(ctx context.Context, id int, key string) (*secret, error) {
	var s secret
	if err := c.get(ctx, "/api/v1/secrets/"+strconv.Itoa(id), nil, &s); err != nil {
		return nil, notFoundOr(err, key)
	}
	if s.ID != id {
		return nil, fmt.Errorf("secret server secret %q: the answer is secret %d, not %d", key, s.ID, id)
	}
	return &s, c.attachments(ctx, &s)
}

// byName searches secrets by name and reads the one named exactly so, or else the first
// found, as ESO does.
func (c *Client) byName(ctx context.Context, name string) (*secret, error) {
	var page struct {
		Records []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"records"`
	}
	query := url.Values{"filter.searchText": {name}, "filter.searchField": {"Name"}, "take": {strconv.Itoa(searchPage)}}
	if err := c.get(ctx, "/api/v1/secrets", query, &page); err != nil {
		return nil, fmt.Errorf("searching secret server for a secret named %q: %w", name, err)
	}
	if len(page.Records) == 0 {
		return nil, provider.NotFound(name)
	}
	id := page.Records[0].ID
	for _, r := range page.Records {
		if r.Name == name {
			id = r.ID
			break
		}
	}
	return c.byID(ctx, id, name)
}

// attachments replaces the placeholder value of each file field with the file, as ESO's
// SDK does.
func (c *Client) attachments(ctx context.Context, s *secret) error {
	for i, f := range s.Items {
		if !f.IsFile || f.FileAttachmentID == 0 || f.Filename == "" {
			continue
		}
		path := fmt.Sprintf("/api/v1/secrets/%d/fields/%s", s.ID, url.PathEscape(f.Slug))
		resp, err := c.send(ctx, path, nil, nil)
		if err != nil {
			return fmt.Errorf("reading the file of field %q of secret server secret %d: %w", f.Slug, s.ID, err)
		}
		s.Items[i].ItemValue = string(resp.Body)
	}
	return nil
}

// get sends a GET and decodes its JSON answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.send(ctx, path, query, out)
	return err
}

// send sends a GET with the client's token.
func (c *Client) send(ctx context.Context, path string, query url.Values, out any) (*restclient.Response, error) {
	return c.do(ctx, restclient.Request{Method: http.MethodGet, Path: path, Query: query}, out)
}

// do sends req with the client's token; a token Secret Server refuses is replaced once and
// the request repeated.
func (c *Client) do(ctx context.Context, req restclient.Request, out any) (*restclient.Response, error) {
	token, err := c.tokens.Get(ctx)
	if err != nil {
		return nil, err
	}
	req.Header = restclient.Bearer(token)
	resp, err := c.api.Do(ctx, req, out)
	if restclient.Status(err) == http.StatusUnauthorized && c.tokens.Rejected(token) {
		if token, err = c.tokens.Get(ctx); err != nil {
			return nil, err
		}
		req.Header = restclient.Bearer(token)
		resp, err = c.api.Do(ctx, req, out)
	}
	if err != nil {
		return nil, explain(err)
	}
	return resp, nil
}

// explain adds what to check to a refused call.
func explain(err error) error {
	switch restclient.Status(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (Secret Server refused the token: a token given in the store may have expired)", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the user lacks a permission on this secret or its folder, View to read, Edit to push, Owner to delete: check its permissions in Secret Server)", err)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w (%s)", err, provider.RateLimitHint)
	}
	return err
}

// notFoundOr turns a 404 into provider.NotFound(key). Other refusals ("Access Denied")
// stay errors, so a permission problem never deletes a target Secret.
func notFoundOr(err error, key string) error {
	if restclient.Status(err) == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", provider.NotFound(key), err)
	}
	return fmt.Errorf("reading secret server secret %q: %w", key, err)
}

// errorMessage reads Secret Server's error body: {"message": ..., "errorCode": ...}, or
// an OAuth2 {"error": ...}.
func errorMessage(body []byte) string {
	var e struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
		Error     string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	switch {
	case e.Message != "" && e.ErrorCode != "":
		return e.Message + " [" + e.ErrorCode + "]"
	case e.Message != "":
		return e.Message
	}
	return e.Error
}

// GetAllSecrets is not supported: External Secrets Operator does not list Secret Server
// either.
func (c *Client) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate proves that Secret Server accepts the store's credentials: it logs in (or takes
// the store's token) and reads the current user.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	var user struct {
		ID int `json:"id"`
	}
	if err := c.get(ctx, "/api/v1/users/current", nil, &user); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the secret server credentials: %w", err)
	}
	if user.ID == 0 {
		return esv1.ValidationResultError, fmt.Errorf("checking the secret server credentials: %s answers /api/v1/users/current without a user: is serverURL Secret Server's address?", c.api.BaseURL)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
