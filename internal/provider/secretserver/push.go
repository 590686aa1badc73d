package secretserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// Secret Server keeps no tags or labels on a secret, so neither Ferry nor ESO can mark the
// secrets they create. The writer therefore touches only the secret the remote key names
// exactly (never a search's nearest match), and, when the entry's metadata names a folder,
// only a secret in that folder: a secret found elsewhere is ErrNotManaged. A delete with a
// property empties that field only, leaving the rest of the secret alone (a secret left
// holding nothing is deleted).

var _ provider.Writer = (*Client)(nil)

// pushMetadata is ESO's push metadata for Secret Server: where a new secret is made, and
// from which template. folderId also confines updates and deletes to that folder.
type pushMetadata struct {
	FolderID         int `json:"folderId"`
	SecretTemplateID int `json:"secretTemplateId"`
}

func decodePushMetadata(ref provider.PushRef) (pushMetadata, error) {
	var m pushMetadata
	if err := provider.DecodeMetadata(ref, "secretserver", &m); err != nil {
		return m, err
	}
	if m.FolderID < 0 || m.SecretTemplateID < 0 {
		return m, fmt.Errorf("%w: metadata.spec.folderId and secretTemplateId are positive ids", provider.ErrInvalidMetadata)
	}
	return m, nil
}

// PushSecret writes value to the first field of the secret ref.RemoteKey names, or to the
// field whose slug or name is ref.Property. A missing secret is created in the metadata's
// folder from its template. The value already there is not written again.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if ref.RemoteKey == "" {
		return errors.New("secret server: remoteRef.remoteKey is required: a secret id, a /folder/path/name or a name")
	}
	if !utf8.Valid(value) {
		return fmt.Errorf("secret server secret %q: the value is not UTF-8 text, which Secret Server fields hold (%d bytes)", ref.RemoteKey, len(value))
	}
	meta, err := decodePushMetadata(ref)
	if err != nil {
		return err
	}
	s, err := c.findForWrite(ctx, ref.RemoteKey, meta.FolderID)
	if err != nil {
		return err
	}
	if s == nil {
		return c.create(ctx, string(value), ref, meta)
	}
	f, err := s.writableField(ref.Property)
	if err != nil {
		return fmt.Errorf("secret server secret %q: %w", ref.RemoteKey, err)
	}
	if f.ItemValue == string(value) {
		return nil
	}
	return c.setField(ctx, s.ID, f.Slug, string(value), ref.RemoteKey)
}

// DeleteSecret deletes the secret ref.RemoteKey names. With a property it empties that
// field only, unless the field is all the secret holds: then the secret is deleted. A
// secret that is gone is not an error.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	meta, err := decodePushMetadata(ref)
	if err != nil {
		return err
	}
	s, err := c.findForWrite(ctx, ref.RemoteKey, meta.FolderID)
	if err != nil || s == nil {
		return err
	}
	if ref.Property != "" {
		f, err := s.writableField(ref.Property)
		if err != nil || f.ItemValue == "" {
			// No such field: nothing Ferry wrote is there.
			return nil //nolint:nilerr // a field that does not exist is already deleted
		}
		if s.holdsBeside(f) {
			return c.setField(ctx, s.ID, f.Slug, "", ref.RemoteKey)
		}
		// The field is all the secret holds: the secret goes with it.
	}
	_, err = c.do(ctx, restclient.Request{Method: http.MethodDelete, Path: "/api/v1/secrets/" + strconv.Itoa(s.ID)}, nil)
	if err != nil && restclient.Status(err) != http.StatusNotFound {
		return fmt.Errorf("deleting secret server secret %q (id %d): %w", ref.RemoteKey, s.ID, err)
	}
	return nil
}

// SecretExists reports whether the secret ref.RemoteKey names exists; with a property,
// whether that field holds a value.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	meta, err := decodePushMetadata(ref)
	if err != nil {
		return false, err
	}
	s, err := c.findForWrite(ctx, ref.RemoteKey, meta.FolderID)
	if err != nil || s == nil {
		return false, err
	}
	if ref.Property == "" {
		return true, nil
	}
	f, err := s.writableField(ref.Property)
	return err == nil && f.ItemValue != "", nil
}

// findForWrite reads the secret key names, or returns nil when there is none. A name must
// match exactly (ESO takes the search's first result, which may be another secret whose
// name contains the key). With folderID, a secret in another folder is refused.
func (c *Client) findForWrite(ctx context.Context, key string, folderID int) (*secret, error) {
	var s *secret
	var err error
	if strings.HasPrefix(key, "/") || isID(key) {
		s, err = c.read(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
	} else {
		s, err = c.exactName(ctx, key, folderID)
	}
	switch {
	case errors.Is(err, provider.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case s == nil:
		return nil, nil
	case folderID > 0 && s.FolderID != folderID:
		return nil, fmt.Errorf("secret server secret %q (id %d) is in folder %d, not in folder %d that the push metadata names: %w",
			key, s.ID, s.FolderID, folderID, provider.ErrNotManaged)
	}
	return s, nil
}

// exactName searches secrets by name (in folderID when set) and reads the one named
// exactly key; nil when none is.
func (c *Client) exactName(ctx context.Context, key string, folderID int) (*secret, error) {
	var page struct {
		Records []struct {
			ID       int    `json:"id"`
			Name     string `json:"name"`
			FolderID int    `json:"folderId"`
		} `json:"records"`
	}
	query := url.Values{"filter.searchText": {key}, "filter.searchField": {"Name"}, "take": {strconv.Itoa(searchPage)}}
	if folderID > 0 {
		query.Set("filter.folderId", strconv.Itoa(folderID))
	}
	if err := c.get(ctx, "/api/v1/secrets", query, &page); err != nil {
		return nil, fmt.Errorf("searching secret server for a secret named %q: %w", key, err)
	}
	for _, r := range page.Records {
		if r.Name == key && (folderID <= 0 || r.FolderID == folderID) {
			return c.byID(ctx, r.ID, key)
		}
	}
	return nil, nil
}

// writableField is the first field without a property, else the field whose slug or name
// is property. File fields are not written.
func (s *secret) writableField(property string) (*field, error) {
	var f *field
	for i := range s.Items {
		if property == "" || s.Items[i].Slug == property || s.Items[i].FieldName == property {
			f = &s.Items[i]
			break
		}
	}
	switch {
	case f == nil && property == "":
		return nil, errors.New("the secret has no fields to write to")
	case f == nil:
		return nil, fmt.Errorf("the secret has no field whose slug or name is %q: use one of its template's field slugs as the property", property)
	case f.IsFile:
		return nil, fmt.Errorf("field %q is a file field, which Ferry does not push to", f.Slug)
	}
	return f, nil
}

// holdsBeside reports whether the secret holds anything besides field f: a value or a file
// in another field.
func (s *secret) holdsBeside(f *field) bool {
	for i := range s.Items {
		other := &s.Items[i]
		if other != f && (other.ItemValue != "" || other.IsFile) {
			return true
		}
	}
	return false
}

// setField writes one field: PUT /api/v1/secrets/{id}/fields/{slug}.
func (c *Client) setField(ctx context.Context, id int, slug, value, key string) error {
	req := restclient.Request{Method: http.MethodPut, Path: fmt.Sprintf("/api/v1/secrets/%d/fields/%s", id, url.PathEscape(slug)),
		Body: map[string]string{"value": value}}
	if _, err := c.do(ctx, req, nil); err != nil {
		return fmt.Errorf("writing field %q of secret server secret %q (id %d): %w", slug, key, id, err)
	}
	return nil
}

// create makes a new secret: it asks Secret Server for the template's stub secret in the
// metadata's folder, names it after the key's last segment, sets one field and posts it.
func (c *Client) create(ctx context.Context, value string, ref provider.PushRef, meta pushMetadata) error {
	if meta.FolderID <= 0 || meta.SecretTemplateID <= 0 {
		return fmt.Errorf("secret server secret %q does not exist: to create it, set folderId and secretTemplateId in the push metadata "+
			"(apiVersion %s, kind %s)", ref.RemoteKey, provider.MetadataAPIVersion, provider.MetadataKind)
	}
	if isID(ref.RemoteKey) {
		return fmt.Errorf("secret server secret %s does not exist, and a secret cannot be created under an id: use a name or a /folder/path/name as remoteKey", ref.RemoteKey)
	}
	name := path.Base(strings.TrimRight(ref.RemoteKey, "/"))
	if name == "" || name == "/" || name == "." {
		return fmt.Errorf("secret server: remoteKey %q names no secret: end it with the secret's name", ref.RemoteKey)
	}
	if strings.HasPrefix(ref.RemoteKey, "/") {
		if err := c.checkFolderPath(ctx, ref.RemoteKey, meta.FolderID); err != nil {
			return err
		}
	}
	var stub map[string]any
	query := url.Values{"secretTemplateId": {strconv.Itoa(meta.SecretTemplateID)}, "folderId": {strconv.Itoa(meta.FolderID)}}
	if err := c.get(ctx, "/api/v1/secrets/stub", query, &stub); err != nil {
		return fmt.Errorf("secret server secret %q: reading the stub of template %d: %w", ref.RemoteKey, meta.SecretTemplateID, err)
	}
	if err := setStubItem(stub, ref.Property, value); err != nil {
		return fmt.Errorf("secret server secret %q, template %d: %w", ref.RemoteKey, meta.SecretTemplateID, err)
	}
	stub["name"] = name
	stub["folderId"] = meta.FolderID
	stub["secretTemplateId"] = meta.SecretTemplateID
	if _, err := c.do(ctx, restclient.Request{Method: http.MethodPost, Path: "/api/v1/secrets", Body: stub}, nil); err != nil {
		return fmt.Errorf("creating secret server secret %q in folder %d: %w", ref.RemoteKey, meta.FolderID, err)
	}
	return nil
}

// checkFolderPath refuses to create the secret a /folder/path/name key names in a folder
// whose path is another: later reads by that path would not find it, and every push would
// create one more.
func (c *Client) checkFolderPath(ctx context.Context, key string, folderID int) error {
	var folder struct {
		FolderPath string `json:"folderPath"`
	}
	if err := c.get(ctx, "/api/v1/folders/"+strconv.Itoa(folderID), nil, &folder); err != nil {
		return fmt.Errorf("secret server secret %q: reading folder %d: %w", key, folderID, err)
	}
	// Secret Server writes folder paths with backslashes (\Apps\Prod).
	want := strings.Trim(path.Dir(strings.TrimRight(key, "/")), "/")
	have := strings.Trim(strings.ReplaceAll(folder.FolderPath, `\`, "/"), "/")
	if !strings.EqualFold(want, have) {
		return fmt.Errorf("secret server secret %q does not exist, and folder %d that the push metadata names is %q, not /%s: "+
			"make folderId the id of /%s, or name the secret by its name alone", key, folderID, folder.FolderPath, want, want)
	}
	return nil
}

// setStubItem sets the value of the stub's first item, or of the item whose slug or field
// name is property.
func setStubItem(stub map[string]any, property, value string) error {
	items, _ := stub["items"].([]any)
	for _, raw := range items {
		item, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		if property == "" || item["slug"] == property || item["fieldName"] == property {
			item["itemValue"] = value
			return nil
		}
	}
	if property == "" {
		return errors.New("the template has no fields")
	}
	return fmt.Errorf("the template has no field whose slug or name is %q", property)
}
