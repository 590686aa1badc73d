package bitwarden

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// apiPrefix is where the SDK server serves its REST API.
const apiPrefix = "/rest/api/1"

// Client reads and writes the secrets of one project of one organization through the SDK
// server.
type Client struct {
	api            *restclient.Client
	header         http.Header // the Warden-* headers: token, API and identity URLs
	organizationID string
	projectID      string
}

// secret is a secret as the SDK server returns it (the SDK's SecretResponse).
type secret struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organizationId"`
	ProjectID      *string `json:"projectId"`
	Key            string  `json:"key"`
	Value          string  `json:"value"`
	Note           string  `json:"note"`
}

// identifier is one entry of a listing (the SDK's SecretIdentifierResponse).
type identifier struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func (s *secret) inProject(project string) bool { return s.ProjectID != nil && *s.ProjectID == project }

// errorMessage reads the SDK server's error body, plain text such as "failed to get
// secret: <the SDK's error>", and keeps only the server's own phrase before the first
// colon: the SDK's detail may quote what Bitwarden answered.
func errorMessage(body []byte) string {
	phrase, _, _ := strings.Cut(string(body), ":")
	phrase = strings.TrimSpace(phrase)
	if len(phrase) > 80 || strings.ContainsAny(phrase, "\n{") {
		return ""
	}
	return phrase
}

// hint adds what a user checks to the SDK server's failures. The server answers 401 when
// no token reached it and 400 for everything the SDK refused, the login included.
func (c *Client) hint(err error) error {
	var se *restclient.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w (no access token reached the SDK server: check %s.auth.secretRef.credentials)", err, field)
	case se.Status == http.StatusBadRequest && strings.HasPrefix(se.Message, "failed to login"):
		return fmt.Errorf("%w (Bitwarden did not accept the machine account's access token: check %s.auth.secretRef.credentials, apiURL and identityURL)", err, field)
	case se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed:
		return fmt.Errorf("%w (is %s.bitwardenServerSDKURL a bitwarden-sdk-server?)", err, field)
	case se.Status == http.StatusTooManyRequests:
		return fmt.Errorf("%w (%s)", err, provider.RateLimitHint)
	}
	return err
}

// do sends one request to the SDK server. Every request carries a JSON body, GETs too, as
// the server reads its arguments from the body.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	_, err := c.api.Do(ctx, restclient.Request{Method: method, Path: apiPrefix + path, Header: c.header, Body: body}, out)
	return c.hint(err)
}

// list returns the identifiers of every secret of the organization the token can read.
func (c *Client) list(ctx context.Context) ([]identifier, error) {
	var out struct {
		Data *[]identifier `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/secrets", map[string]string{"organizationId": c.organizationID}, &out); err != nil {
		return nil, fmt.Errorf("listing the secrets of organization %s: %w", c.organizationID, err)
	}
	if out.Data == nil {
		return nil, fmt.Errorf("listing the secrets of organization %s: the answer has no data", c.organizationID)
	}
	return *out.Data, nil
}

// get reads one secret by ID. The SDK server answers every failure of the SDK with 400,
// a missing secret included, so a 400 is "not found" only when the listing lacks the ID.
func (c *Client) get(ctx context.Context, id, key string) (*secret, error) {
	var s secret
	err := c.do(ctx, http.MethodGet, "/secret", map[string]string{"id": id}, &s)
	if err == nil {
		if s.ID == "" {
			return nil, fmt.Errorf("reading secret %q: the answer holds no secret", key)
		}
		return &s, nil
	}
	err = fmt.Errorf("reading secret %q: %w", key, err)
	if restclient.Status(err) != http.StatusBadRequest {
		return nil, err
	}
	ids, listErr := c.list(ctx)
	if listErr != nil {
		return nil, err
	}
	for _, i := range ids {
		if strings.EqualFold(i.ID, id) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w (organization %s has no secret of that ID)", provider.NotFound(key), c.organizationID)
}

// named returns the secrets of the store's project whose key is name, reading each
// candidate of the organization's listing, as ESO does: the listing does not say which
// project a secret is in.
func (c *Client) named(ctx context.Context, name string) ([]*secret, error) {
	ids, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	var found []*secret
	for _, i := range ids {
		if i.Key != name {
			continue
		}
		s, err := c.get(ctx, i.ID, name)
		if errors.Is(err, provider.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		if s.inProject(c.projectID) {
			found = append(found, s)
		}
	}
	return found, nil
}

// resolve returns the secret a remote key names: by ID when it is a UUID (in whatever
// project, as ESO reads it), else the one secret of that name in the store's project.
func (c *Client) resolve(ctx context.Context, key string) (*secret, error) {
	if uuidFormat.MatchString(key) {
		return c.get(ctx, key, key)
	}
	found, err := c.named(ctx, key)
	if err != nil {
		return nil, err
	}
	return c.pick(key, found)
}

// pick returns the one secret of the store's project among those named key; none is
// provider.ErrNotFound, several an error that asks for an ID, as in ESO.
func (c *Client) pick(key string, found []*secret) (*secret, error) {
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w (no secret of that name in project %s)", provider.NotFound(key), c.projectID)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("remote key %q: %d secrets of that name are in project %s; read one by its ID", key, len(found), c.projectID)
}

// GetSecret returns the value of the secret ref.Key names, or the JSON property
// ref.Property of it. A property equal to the store's project ID is ignored: ESO's
// documentation once asked for the project ID there, and ESO never reads the property.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("%q: Bitwarden Secrets Manager keeps no versions Ferry can read; remove remoteRef.version", ref.Key)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return nil, fmt.Errorf("%q: Ferry does not read Bitwarden secret metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	s, err := c.resolve(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	return c.selectProperty([]byte(s.Value), ref)
}

// selectProperty returns value, or its JSON property ref.Property unless that is the
// store's project ID.
func (c *Client) selectProperty(value []byte, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	prop := ref.Property
	if prop == c.projectID {
		prop = ""
	}
	out, err := property.Select(value, prop)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetSecretMap spreads the JSON object in the value (or at ref.Property of it) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets returns, keyed by secret name, the value of every secret of the store's
// project whose name matches find.name (every one without a condition). Bitwarden secrets
// have no tags nor paths. Two secrets of one name in the project are an error.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("dataFrom.find.tags: Bitwarden Secrets Manager secrets have no tags; select by name.regexp")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{NoPaths: "Bitwarden Secrets Manager", EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	ids, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	var wanted []string
	for _, i := range ids {
		if sel.MatchName(i.Key) {
			wanted = append(wanted, i.ID)
		}
	}
	out := map[string][]byte{}
	if len(wanted) == 0 {
		return out, nil
	}
	got, err := c.byIDs(ctx, wanted)
	if err != nil {
		return nil, err
	}
	for _, s := range got {
		if !s.inProject(c.projectID) || !sel.MatchName(s.Key) {
			continue
		}
		if _, dup := out[s.Key]; dup {
			return nil, fmt.Errorf("dataFrom.find: several secrets named %q are in project %s; they would be one key", s.Key, c.projectID)
		}
		out[s.Key] = []byte(s.Value)
	}
	return out, nil
}

// byIDs reads the secrets of ids in one call.
func (c *Client) byIDs(ctx context.Context, ids []string) ([]secret, error) {
	var got struct {
		Data *[]secret `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/secrets-by-ids", map[string][]string{"ids": ids}, &got); err != nil {
		return nil, fmt.Errorf("reading %d secrets of organization %s: %w", len(ids), c.organizationID, err)
	}
	if got.Data == nil {
		return nil, fmt.Errorf("reading %d secrets of organization %s: the answer has no data", len(ids), c.organizationID)
	}
	return *got.Data, nil
}

// Validate checks that the SDK server answers and logs in with the token, by listing the
// organization's secrets.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.list(ctx); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
