package passbolt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/ferryhq/ferry/internal/provider"
)

// uuidPattern is the form of Passbolt's IDs and of the UUID in a GPGAuth token.
const uuidPattern = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

// resourceID is the form of a Passbolt resource ID.
var resourceID = regexp.MustCompile(`^` + uuidPattern + `$`)

// Metadata key types of v5 resources: metadata encrypted to the user's own key, or to the
// organisation's shared metadata key.
const (
	metadataUserKey   = "user_key"
	metadataSharedKey = "shared_key"
)

// apiResource is a resource as GET /resources/{id}.json and /resources.json give it: v4
// resources carry name, username, uri and description in clear; v5 resources carry them
// in metadata, an OpenPGP message.
type apiResource struct {
	ID              string  `json:"id"`
	Name            *string `json:"name"`
	Username        *string `json:"username"`
	URI             *string `json:"uri"`
	Description     *string `json:"description"`
	ResourceTypeID  string  `json:"resource_type_id"`
	Metadata        *string `json:"metadata"`
	MetadataKeyID   *string `json:"metadata_key_id"`
	MetadataKeyType *string `json:"metadata_key_type"`
}

// resourceMetadata is the decrypted metadata of a v5 resource.
type resourceMetadata struct {
	Name        string   `json:"name"`
	Username    string   `json:"username"`
	URIs        []string `json:"uris"`
	Description *string  `json:"description"`
}

// secretData is the decrypted secret of the resource types that hold a JSON object.
type secretData struct {
	Password    *string `json:"password"`
	Description *string `json:"description"`
}

// entry is a resource as ESO gives it: its JSON, without a property, is this object with
// these keys in this order.
type entry struct {
	Name        string `json:"name"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	URI         string `json:"uri"`
	Description string `json:"description"`
}

// properties are the remoteRef.property values ESO reads.
var properties = []string{"name", "username", "uri", "password", "description"}

func (e entry) property(name string) ([]byte, bool) {
	switch name {
	case "name":
		return []byte(e.Name), true
	case "username":
		return []byte(e.Username), true
	case "uri":
		return []byte(e.URI), true
	case "password":
		return []byte(e.Password), true
	case "description":
		return []byte(e.Description), true
	}
	return nil, false
}

func (e entry) asMap() map[string][]byte {
	out := make(map[string][]byte, len(properties))
	for _, p := range properties {
		out[p], _ = e.property(p)
	}
	return out
}

// asJSON is the entry's JSON as ESO writes it: HTML characters unescaped, no newline.
func (e entry) asJSON() ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil { //nolint:gosec // G117: the password is the value the ExternalSecret asks for
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// checkID refuses a key that is not a resource ID before any call: Passbolt would answer
// 400, and a name is not a key ESO reads either.
func checkID(key string) error {
	if !resourceID.MatchString(key) {
		return fmt.Errorf("remoteRef.key %q is not a Passbolt resource ID; write the resource's UUID "+
			"(the id in its URL, /app/passwords/view/<id>), or select resources by name with dataFrom.find.name.regexp", key)
	}
	return nil
}

// resource reads one resource with its secret, decrypted.
func (c *Client) resource(ctx context.Context, id string) (entry, error) {
	if err := checkID(id); err != nil {
		return entry{}, err
	}
	var res apiResource
	if err := c.authorized(ctx, "/resources/"+url.PathEscape(id)+".json", nil, &res); err != nil {
		return entry{}, notFoundOr(err, id)
	}
	e, err := c.describe(ctx, res)
	if err != nil {
		return entry{}, err
	}
	return c.withSecret(ctx, res, e)
}

func notFoundOr(err error, id string) error {
	if provider.HTTPStatus(err) == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", provider.NotFound(id), err)
	}
	return fmt.Errorf("reading resource %s: %w", id, err)
}

// describe gives a resource's name, username, uri and description: in clear for v4
// resources, decrypted from metadata for v5 ones.
func (c *Client) describe(ctx context.Context, res apiResource) (entry, error) {
	if res.Metadata == nil || *res.Metadata == "" {
		return entry{Name: deref(res.Name), Username: deref(res.Username), URI: deref(res.URI), Description: deref(res.Description)}, nil
	}
	ring, err := c.metadataRing(ctx, res)
	if err != nil {
		return entry{}, err
	}
	plain, err := decrypt(ring, *res.Metadata)
	if err != nil {
		return entry{}, fmt.Errorf("resource %s: its metadata: %w", res.ID, err)
	}
	var md resourceMetadata
	if err := json.Unmarshal(plain, &md); err != nil {
		return entry{}, fmt.Errorf("resource %s: its decrypted metadata is not the JSON object Passbolt defines (%d bytes)", res.ID, len(plain))
	}
	e := entry{Name: md.Name, Username: md.Username, Description: deref(md.Description)}
	if len(md.URIs) > 0 {
		e.URI = md.URIs[0]
	}
	return e, nil
}

// metadataRing is the key that decrypts a v5 resource's metadata: the user's own, or the
// shared metadata key the server keeps encrypted to the user.
func (c *Client) metadataRing(ctx context.Context, res apiResource) (openpgp.EntityList, error) {
	switch deref(res.MetadataKeyType) {
	case metadataUserKey:
		return c.key.ring, nil
	case metadataSharedKey:
		return c.sharedMetadataKey(ctx, deref(res.MetadataKeyID))
	default:
		return nil, fmt.Errorf("resource %s: its metadata is encrypted with a key of type %q, which Ferry does not know", res.ID, deref(res.MetadataKeyType))
	}
}

// withSecret reads and decrypts the resource's secret into e. The secret's layout follows
// the resource type: the password alone (password-string, v5-password-string), or a JSON
// object with password and description (every other type, v4 and v5).
func (c *Client) withSecret(ctx context.Context, res apiResource, e entry) (entry, error) {
	var secret struct {
		Data string `json:"data"`
	}
	if err := c.authorized(ctx, "/secrets/resource/"+url.PathEscape(res.ID)+".json", nil, &secret); err != nil {
		return entry{}, notFoundOr(err, res.ID)
	}
	plain, err := decrypt(c.key.ring, secret.Data)
	if err != nil {
		return entry{}, fmt.Errorf("resource %s: its secret: %w", res.ID, err)
	}
	slug, err := c.typeSlug(ctx, res.ResourceTypeID)
	if err != nil {
		return entry{}, err
	}
	if e, err = withPlainSecret(e, slug, plain); err != nil {
		return entry{}, fmt.Errorf("resource %s: %w", res.ID, err)
	}
	return e, nil
}

// withPlainSecret puts a decrypted secret of resource type slug into e. An error
// describes the plaintext, never quotes it.
func withPlainSecret(e entry, slug string, plain []byte) (entry, error) {
	if slug == "password-string" || slug == "v5-password-string" {
		e.Password = string(plain)
		return e, nil
	}
	var data secretData
	if err := json.Unmarshal(plain, &data); err != nil {
		return entry{}, fmt.Errorf("its decrypted secret is not the JSON object resource type %q defines (%d bytes)", slug, len(plain))
	}
	e.Password = deref(data.Password)
	if data.Description != nil {
		e.Description = *data.Description
	}
	return e, nil
}

// typeSlug names a resource type by its ID, from /resource-types.json, read once per
// client and again when a resource names a type the client has not seen. A resource
// without a type is of the first type Passbolt had, password-string.
func (c *Client) typeSlug(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "password-string", nil
	}
	c.mu.Lock()
	slug, ok := c.types[id]
	c.mu.Unlock()
	if ok {
		return slug, nil
	}
	var types []struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
	}
	if err := c.authorized(ctx, "/resource-types.json", nil, &types); err != nil {
		return "", fmt.Errorf("reading the resource types: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range types {
		c.types[t.ID] = t.Slug
	}
	if slug, ok = c.types[id]; !ok {
		return "", fmt.Errorf("resource type %s is not one the server lists in /resource-types.json", id)
	}
	return slug, nil
}

// sharedMetadataKey returns the shared metadata key id: its private part, encrypted to
// the user in /metadata/keys.json, is decrypted once per client.
func (c *Client) sharedMetadataKey(ctx context.Context, id string) (openpgp.EntityList, error) {
	c.mu.Lock()
	ring, ok := c.metadataKeys[id]
	c.mu.Unlock()
	if ok {
		return ring, nil
	}
	var keys []struct {
		ID          string `json:"id"`
		PrivateKeys []struct {
			Data string `json:"data"`
		} `json:"metadata_private_keys"`
	}
	if err := c.authorized(ctx, "/metadata/keys.json", url.Values{"contain[metadata_private_keys]": {"1"}}, &keys); err != nil {
		return nil, fmt.Errorf("reading the metadata keys: %w", err)
	}
	for _, k := range keys {
		if k.ID != id {
			continue
		}
		if len(k.PrivateKeys) == 0 {
			return nil, fmt.Errorf("metadata key %s: the server holds no copy of it for this user; ask an administrator to share the metadata key with the user", id)
		}
		ring, err := c.openMetadataKey(id, k.PrivateKeys[0].Data)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.metadataKeys[id] = ring
		c.mu.Unlock()
		return ring, nil
	}
	return nil, fmt.Errorf("metadata key %s is not in /metadata/keys.json", id)
}

// openMetadataKey decrypts a metadata private key message: a JSON object whose armored_key
// is the key, and passphrase its passphrase ("" for Passbolt's keys).
func (c *Client) openMetadataKey(id, message string) (openpgp.EntityList, error) {
	plain, err := decrypt(c.key.ring, message)
	if err != nil {
		return nil, fmt.Errorf("metadata key %s: %w", id, err)
	}
	var private struct {
		ArmoredKey string `json:"armored_key"`
		Passphrase string `json:"passphrase"`
	}
	if err := json.Unmarshal(plain, &private); err != nil || private.ArmoredKey == "" {
		return nil, fmt.Errorf("metadata key %s: its decrypted private key is not the JSON object Passbolt defines", id)
	}
	field := "metadata key " + id
	key, err := unlockKey([]byte(private.ArmoredKey), []byte(private.Passphrase), field, field)
	if err != nil {
		return nil, err
	}
	return key.ring, nil
}

// authorized sends a GET with the client's session; a session the server refuses (401, or
// 403 from servers that answer so) is replaced once and the request repeated.
func (c *Client) authorized(ctx context.Context, path string, query url.Values, out any) error {
	token, err := c.session.Get(ctx)
	if err != nil {
		return err
	}
	err = c.api.get(ctx, path, query, token, out)
	if status := provider.HTTPStatus(err); (status == http.StatusUnauthorized || status == http.StatusForbidden) && c.session.Rejected(token) {
		if token, err = c.session.Get(ctx); err != nil {
			return err
		}
		err = c.api.get(ctx, path, query, token, out)
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
