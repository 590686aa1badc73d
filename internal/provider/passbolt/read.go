package passbolt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

// Client reads one Passbolt server as one user, for a store.
type Client struct {
	api     *api
	key     *userKey
	session *credcache.Source

	mu sync.Mutex
	// types maps resource type IDs to their slugs.
	types map[string]string
	// metadataKeys holds the shared metadata keys decrypted so far, by ID.
	metadataKeys map[string]openpgp.EntityList
}

var _ provider.Client = (*Client)(nil)

// errPropertyWithExtract refuses a property with dataFrom.extract, which always gives all
// five fields.
var errPropertyWithExtract = errors.New("dataFrom.extract of a Passbolt resource gives name, username, uri, password and description; remove remoteRef.property")

// GetSecret returns the resource ref.Key names (its ID): without a property, the JSON
// object ESO gives ({"name","username","password","uri","description"}); with one, that
// field. remoteRef.version is not read: Passbolt keeps no versions ESO reads.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.Property != "" && !isProperty(ref.Property) {
		return nil, propertyError(ref)
	}
	e, err := c.resource(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	if ref.Property == "" {
		return e.asJSON()
	}
	v, _ := e.property(ref.Property)
	return v, nil
}

// GetSecretMap returns the resource's five fields as keys name, username, uri, password
// and description. ESO does not implement dataFrom.extract for Passbolt; Ferry gives the
// keys its GetSecret reads.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if ref.Property != "" {
		return nil, fmt.Errorf("remoteRef.key %q: %w", ref.Key, errPropertyWithExtract)
	}
	e, err := c.resource(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	return e.asMap(), nil
}

// GetAllSecrets returns the resources whose name matches find.name.regexp, as ESO does:
// keyed by resource ID, each the JSON object GetSecret gives. Only the secrets of the
// resources that match are read; names of v5 resources are decrypted from their metadata
// first.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if find.Name == nil || find.Name.RegExp == "" {
		return nil, fmt.Errorf("dataFrom.find: Passbolt resources are found by name only; set find.name.regexp")
	}
	if len(find.Tags) > 0 || (find.Path != nil && *find.Path != "") {
		return nil, fmt.Errorf("dataFrom.find: Passbolt resources are found by name only; remove find.tags and find.path")
	}
	match, err := provider.CompileFind(esv1.ExternalSecretFind{Name: find.Name}, provider.FindOptions{NoPaths: "Passbolt"})
	if err != nil {
		return nil, err
	}
	var resources []apiResource
	if err := c.authorized(ctx, "/resources.json", nil, &resources); err != nil {
		return nil, fmt.Errorf("listing resources: %w", err)
	}
	out := map[string][]byte{}
	for _, res := range resources {
		if checkID(res.ID) != nil {
			return nil, fmt.Errorf("listing resources: the server listed a resource whose id is not a UUID")
		}
		e, err := c.describe(ctx, res)
		if err != nil {
			return nil, err
		}
		if !match.MatchName(e.Name) {
			continue
		}
		if e, err = c.withSecret(ctx, res, e); err != nil {
			return nil, err
		}
		if out[res.ID], err = e.asJSON(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Validate proves that the server accepts the user's key by logging in (or keeping the
// session of an earlier login).
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.session.Get(ctx); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the Passbolt credentials: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections. Unlike ESO it does not log out: the session
// ends with the server's session timeout, and Close costs no call.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}

func isProperty(name string) bool {
	for _, p := range properties {
		if p == name {
			return true
		}
	}
	return false
}

func propertyError(ref esv1.ExternalSecretDataRemoteRef) error {
	sorted := append([]string(nil), properties...)
	sort.Strings(sorted)
	return fmt.Errorf("remoteRef.key %q: remoteRef.property %q is not a field of a Passbolt resource; use one of %s, or none for all of them as JSON",
		ref.Key, ref.Property, strings.Join(sorted, ", "))
}
