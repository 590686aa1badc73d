package onepassword

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// Item is a 1Password item as Connect returns it.
type item struct {
	ID       string   `json:"id,omitempty"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Tags     []string `json:"tags,omitempty"`
	Vault    struct {
		ID string `json:"id"`
	} `json:"vault"`
	Fields []itemField `json:"fields,omitempty"`
	Files  []itemFile  `json:"files,omitempty"`
}

type itemField struct {
	ID    string `json:"id,omitempty"`
	Label string `json:"label"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
}

type itemFile struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentPath string `json:"content_path"`
}

// itemID is the shape of 1Password's item IDs.
var itemID = regexp.MustCompile(`^[a-z0-9]{26}$`)

// defaultField is the field read when remoteRef.property is empty, as ESO.
const defaultField = "password"

// filter quotes a value for Connect's SCIM-like filter.
func filter(attr, value string) url.Values {
	return url.Values{"filter": {attr + ` eq "` + strings.ReplaceAll(value, `"`, `\"`) + `"`}}
}

// vaults returns the IDs of the store's vaults in search order, resolving names once.
func (c *Client) vaults(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vaultIDs == nil {
		ids := map[string]string{}
		for _, name := range c.vaultNames {
			var found []struct {
				ID string `json:"id"`
			}
			if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/v1/vaults", Query: filter("name", name)}, &found); err != nil {
				return nil, fmt.Errorf("finding vault %q: %w", name, err)
			}
			if len(found) != 1 {
				return nil, fmt.Errorf("vault %q: Connect knows %d vaults of that name, want 1", name, len(found))
			}
			ids[name] = found[0].ID
		}
		c.vaultIDs = ids
	}
	out := make([]string, 0, len(c.vaultNames))
	for _, name := range c.vaultNames {
		out = append(out, c.vaultIDs[name])
	}
	return out, nil
}

func itemPath(vaultID, id string) string {
	return "/v1/vaults/" + url.PathEscape(vaultID) + "/items/" + url.PathEscape(id)
}

// fullItem reads one item with its fields and files.
func (c *Client) fullItem(ctx context.Context, vaultID, id string) (*item, error) {
	var it item
	if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: itemPath(vaultID, id)}, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

// findItem finds the item titled key (or with ID key) in the first vault that has it. Two
// items of one title in a vault are an error, not a choice.
func (c *Client) findItem(ctx context.Context, key string) (*item, error) {
	vaults, err := c.vaults(ctx)
	if err != nil {
		return nil, err
	}
	for _, vaultID := range vaults {
		var found []item
		if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/v1/vaults/" + url.PathEscape(vaultID) + "/items",
			Query: filter("title", key)}, &found); err != nil {
			return nil, fmt.Errorf("finding item %q: %w", key, err)
		}
		switch {
		case len(found) > 1:
			return nil, fmt.Errorf("item %q: %d items of that title in one vault, want 1", key, len(found))
		case len(found) == 1:
			it, err := c.fullItem(ctx, vaultID, found[0].ID)
			if err != nil {
				return nil, fmt.Errorf("reading item %q: %w", key, restclient.NotFoundOr(err, key))
			}
			return it, nil
		case itemID.MatchString(key):
			it, err := c.fullItem(ctx, vaultID, key)
			if err == nil {
				return it, nil
			}
			if restclient.Status(err) != http.StatusNotFound {
				return nil, fmt.Errorf("reading item %q: %w", key, err)
			}
		}
	}
	return nil, provider.NotFound(key)
}

// objectOf splits a property into what it names: "file/NAME", "field/NAME", or a bare
// name, which is a file in a Document item and a field otherwise (as ESO).
func objectOf(category, property string) (file bool, name string) {
	if rest, ok := strings.CutPrefix(property, "file/"); ok {
		return true, rest
	}
	if rest, ok := strings.CutPrefix(property, "field/"); ok {
		return false, rest
	}
	return category == "DOCUMENT", property
}

// fileContent reads one file of an item.
func (c *Client) fileContent(ctx context.Context, it *item, f itemFile) ([]byte, error) {
	path := f.ContentPath
	if path == "" {
		path = itemPath(it.Vault.ID, it.ID) + "/files/" + url.PathEscape(f.ID) + "/content"
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: path}, nil)
	if err != nil {
		return nil, fmt.Errorf("reading file %q of item %q: %w", f.Name, it.Title, err)
	}
	return resp.Body, nil
}

// fieldValue returns the one field labelled label.
func fieldValue(it *item, label string) ([]byte, error) {
	var value []byte
	n := 0
	for _, f := range it.Fields {
		if f.Label == label {
			value, n = []byte(f.Value), n+1
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("item %q: %d fields labelled %q, want 1", it.Title, n, label)
	}
	return value, nil
}

func checkRef(ref esv1.ExternalSecretDataRemoteRef) error {
	if ref.Version != "" {
		return fmt.Errorf("%q: 1Password Connect serves no item versions; remove remoteRef.version", ref.Key)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return fmt.Errorf("%q: Ferry does not read 1Password item metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	return nil
}

// GetSecret returns the field ref.Property (default "password") of the item ref.Key, or
// with "file/NAME" (or any name in a Document item) that file; a Document's first file
// when no property is given.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	it, err := c.findItem(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	isFile, name := objectOf(it.Category, ref.Property)
	if !isFile {
		if name == "" {
			name = defaultField
		}
		return fieldValue(it, name)
	}
	for _, f := range it.Files {
		if name == "" || f.Name == name {
			return c.fileContent(ctx, it, f)
		}
	}
	return nil, fmt.Errorf("item %q has no file %q", it.Title, name)
}

// GetSecretMap returns the item's fields by label (or, for "file/..." or a Document, its
// files by name); a property keeps only that one.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	it, err := c.findItem(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	isFile, name := objectOf(it.Category, ref.Property)
	out := map[string][]byte{}
	if isFile {
		for _, f := range it.Files {
			if name == "" || f.Name == name {
				if out[f.Name], err = c.fileContent(ctx, it, f); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	for _, f := range it.Fields {
		if name != "" && f.Label != name {
			continue
		}
		if out[f.Label], err = fieldValue(it, f.Label); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetAllSecrets gathers, vault by vault in order, the fields and files of the items
// whose title is find.path (or which carry every tag of find.tags) whose names match
// find.name; a name found earlier wins.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := provider.CompileFind(esv1.ExternalSecretFind{Name: find.Name}, provider.FindOptions{EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	vaults, err := c.vaults(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, vaultID := range vaults {
		var items []item
		if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/v1/vaults/" + url.PathEscape(vaultID) + "/items"}, &items); err != nil {
			return nil, fmt.Errorf("listing items: %w", err)
		}
		for _, summary := range items {
			if (find.Path != nil && *find.Path != summary.Title) || !hasTags(summary.Tags, find.Tags) {
				continue
			}
			if err := c.gather(ctx, vaultID, summary.ID, sel, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func hasTags(tags []string, want map[string]string) bool {
	for t := range want {
		found := false
		for _, have := range tags {
			found = found || have == t
		}
		if !found {
			return false
		}
	}
	return true
}

// gather adds the fields and files of one item that sel selects and out lacks.
func (c *Client) gather(ctx context.Context, vaultID, id string, sel *provider.Find, out map[string][]byte) error {
	it, err := c.fullItem(ctx, vaultID, id)
	if errors.Is(restclient.NotFoundOr(err, id), provider.ErrNotFound) {
		return nil // deleted since listed
	}
	if err != nil {
		return fmt.Errorf("reading item %q: %w", id, err)
	}
	for _, f := range it.Fields {
		if _, seen := out[f.Label]; seen || !sel.MatchName(f.Label) {
			continue
		}
		if out[f.Label], err = fieldValue(it, f.Label); err != nil {
			return err
		}
	}
	for _, f := range it.Files {
		if _, seen := out[f.Name]; seen || !sel.MatchName(f.Name) {
			continue
		}
		if out[f.Name], err = c.fileContent(ctx, it, f); err != nil {
			return err
		}
	}
	return nil
}

// Validate resolves every vault of the store.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.vaults(ctx); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
