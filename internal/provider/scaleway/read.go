package scaleway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const (
	// pageSize is the largest page ListSecrets serves.
	pageSize = 100
	// maxPages bounds a listing, so a server whose total_count never adds up cannot hold
	// a sync in a loop.
	maxPages = 1000
	// latestEnabled is the revision read when remoteRef.version is empty, as in ESO.
	latestEnabled = "latest_enabled"
)

// Client reads and writes the secrets of one Scaleway project in one region.
type Client struct {
	api       *restclient.Client
	secretKey string
	region    string
	projectID string
}

// secret is a Secret as the API returns it; only the fields Ferry uses.
type secret struct {
	ID        string   `json:"id"`
	ProjectID string   `json:"project_id"`
	Name      string   `json:"name"`
	Path      string   `json:"path"`
	Tags      []string `json:"tags"`
}

// errorMessage reads Scaleway's error body: {"message": ..., "type": ..., ...}. Scaleway's
// messages name resources and arguments, not secret payloads.
func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Type != "" && e.Message != "" {
		return e.Message + " (" + e.Type + ")"
	}
	return e.Message
}

// hint adds what a user checks to an answer of 401, 403 or 429.
func (c *Client) hint(err error) error {
	switch restclient.Status(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (Scaleway did not accept the secret key: check %s.secretKey)", err, field)
	case http.StatusForbidden:
		return fmt.Errorf("%w (the API key's IAM policy does not allow this in project %s, region %s)", err, c.projectID, c.region)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w (%s)", err, provider.RateLimitHint)
	}
	return err
}

// do sends req below the region's Secret Manager API with the secret key.
func (c *Client) do(ctx context.Context, req restclient.Request, out any) error {
	req.Path = "/secret-manager/v1beta1/regions/" + url.PathEscape(c.region) + req.Path
	req.Header = http.Header{"X-Auth-Token": {c.secretKey}}
	_, err := c.api.Do(ctx, req, out)
	return c.hint(err)
}

// remoteRef is a parsed remote key: a secret id, or a name with, for path refs, its folder.
type remoteRef struct {
	key    string
	id     string
	name   string
	folder string // "" for a name ref: any folder
}

// parseKey reads the forms ESO documents, "id:<uuid>", "name:<name>" and
// "path:/folder/name", and a bare key as a name (which ESO refuses).
func parseKey(key string) (remoteRef, error) {
	kind, value, found := strings.Cut(key, ":")
	if !found {
		kind, value = "name", key
	}
	ref := remoteRef{key: key}
	switch kind {
	case "id":
		if !uuidFormat.MatchString(value) {
			return ref, fmt.Errorf("remote key %q: id: needs a secret ID (a UUID)", key)
		}
		ref.id = value
	case "name":
		if value == "" || strings.Contains(value, "/") {
			return ref, fmt.Errorf("remote key %q: name: needs a secret name without '/'; use path: for a secret in a folder", key)
		}
		ref.name = value
	case "path":
		i := strings.LastIndex(value, "/")
		if !strings.HasPrefix(value, "/") || i == len(value)-1 {
			return ref, fmt.Errorf("remote key %q: path: needs /folder/name, starting with '/'", key)
		}
		ref.folder, ref.name = value[:i], value[i+1:]
		if ref.folder == "" {
			ref.folder = "/"
		}
	default:
		return ref, fmt.Errorf(`remote key %q: name the secret as name:<name>, id:<uuid> or path:/folder/name`, key)
	}
	return ref, nil
}

// revision checks remoteRef.version: empty (latest_enabled), latest, latest_enabled or a
// revision number.
func revision(version string) (string, error) {
	switch version {
	case "":
		return latestEnabled, nil
	case "latest", latestEnabled:
		return version, nil
	}
	if n, err := strconv.ParseUint(version, 10, 32); err != nil || n == 0 {
		return "", fmt.Errorf("remoteRef.version %q: use latest_enabled, latest or a revision number from 1", version)
	}
	return version, nil
}

// listQuery is the query of ListSecrets for the store's project.
func (c *Client) listQuery() url.Values {
	return url.Values{"project_id": {c.projectID}, "page_size": {strconv.Itoa(pageSize)}}
}

// list reads every page of ListSecrets with query q.
func (c *Client) list(ctx context.Context, q url.Values) ([]secret, error) {
	var all []secret
	for page := 1; page <= maxPages; page++ {
		q.Set("page", strconv.Itoa(page))
		var out struct {
			Secrets    []secret `json:"secrets"`
			TotalCount *uint64  `json:"total_count"`
		}
		if err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: "/secrets", Query: q}, &out); err != nil {
			return nil, fmt.Errorf("listing the secrets of project %s: %w", c.projectID, err)
		}
		if out.TotalCount == nil {
			return nil, fmt.Errorf("listing the secrets of project %s: the answer has no total_count", c.projectID)
		}
		all = append(all, out.Secrets...)
		if len(out.Secrets) == 0 || uint64(len(all)) >= *out.TotalCount {
			return all, nil
		}
	}
	return nil, fmt.Errorf("listing the secrets of project %s: more than %d pages", c.projectID, maxPages)
}

// resolve finds the secret a name or path ref names; a missing one is provider.ErrNotFound.
// The name filter is matched again exactly, as the API reference does not say it is exact.
func (c *Client) resolve(ctx context.Context, ref remoteRef) (*secret, error) {
	if ref.id != "" {
		var s secret
		if err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: "/secrets/" + url.PathEscape(ref.id)}, &s); err != nil {
			return nil, restclient.NotFoundOr(fmt.Errorf("reading secret %q: %w", ref.key, err), ref.key)
		}
		return &s, nil
	}
	q := c.listQuery()
	q.Set("name", ref.name)
	if ref.folder != "" {
		q.Set("path", ref.folder)
	}
	secrets, err := c.list(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("looking up secret %q: %w", ref.key, err)
	}
	var found []secret
	for _, s := range secrets {
		if s.Name == ref.name && (ref.folder == "" || s.Path == ref.folder) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, provider.NotFound(ref.key)
	case 1:
		return &found[0], nil
	}
	folders := make([]string, 0, len(found))
	for _, s := range found {
		folders = append(folders, s.Path)
	}
	sort.Strings(folders)
	return nil, fmt.Errorf("remote key %q: secrets of that name are in folders %s; name one as path:/folder/%s",
		ref.key, strings.Join(folders, ", "), ref.name)
}

// access reads the payload of a secret's revision; a missing secret or revision (or no
// enabled version) is provider.ErrNotFound.
func (c *Client) access(ctx context.Context, id, rev, key string) ([]byte, error) {
	var out struct {
		Data *[]byte `json:"data"`
	}
	path := "/secrets/" + url.PathEscape(id) + "/versions/" + url.PathEscape(rev) + "/access"
	if err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: path}, &out); err != nil {
		return nil, restclient.NotFoundOr(fmt.Errorf("reading secret %q at revision %s: %w", key, rev, err), key)
	}
	if out.Data == nil {
		return nil, fmt.Errorf("reading secret %q at revision %s: the answer holds no data", key, rev)
	}
	return *out.Data, nil
}

// value reads the payload ref names.
func (c *Client) value(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return nil, fmt.Errorf("%q: Ferry does not read Scaleway secret metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	rev, err := revision(ref.Version)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref.Key, err)
	}
	r, err := parseKey(ref.Key)
	if err != nil {
		return nil, err
	}
	id := r.id
	if id == "" {
		s, err := c.resolve(ctx, r)
		if err != nil {
			return nil, err
		}
		id = s.ID
	}
	return c.access(ctx, id, rev, ref.Key)
}

// GetSecret returns the payload of the secret ref.Key names (at ref.Version), or the JSON
// property ref.Property of it.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return property.SelectFrom(ctx, c.value, ref, "secret")
}

// GetSecretMap spreads the JSON object in the payload (or at ref.Property of it) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets returns, keyed by name, the latest enabled payload of every secret of the
// project whose name matches find.name, that carries every tag named by the keys of
// find.tags (Scaleway tags are plain strings; the values are ignored, as in ESO) and, with
// find.path, that is in exactly that folder. Without a condition it returns them all, as
// ESO does. Secrets without an enabled version are left out.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := provider.CompileFind(find, provider.FindOptions{EmptySelectsAll: true, PathIsScope: true})
	if err != nil {
		return nil, err
	}
	q := c.listQuery()
	if sel.Path != "" {
		q.Set("path", sel.Path)
	}
	tags := make([]string, 0, len(find.Tags))
	for tag := range find.Tags {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	for _, tag := range tags {
		q.Add("tags", tag)
	}
	secrets, err := c.list(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	from := map[string]string{}
	for _, s := range secrets {
		if !sel.MatchName(s.Name) || (sel.Path != "" && s.Path != sel.Path) || !hasAll(s.Tags, tags) {
			continue
		}
		if other, dup := from[s.Name]; dup {
			return nil, fmt.Errorf("dataFrom.find: secrets named %q are in folders %s and %s; narrow the find with path", s.Name, other, s.Path)
		}
		v, err := c.access(ctx, s.ID, latestEnabled, s.Name)
		if errors.Is(err, provider.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[s.Name], from[s.Name] = v, s.Path
	}
	return out, nil
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

// Validate checks that the secret key may list the project's secrets in the region.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	q := c.listQuery()
	q.Set("page", "1")
	q.Set("page_size", "1")
	var out struct {
		TotalCount *uint64 `json:"total_count"`
	}
	if err := c.do(ctx, restclient.Request{Method: http.MethodGet, Path: "/secrets", Query: q}, &out); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("listing the secrets of project %s: %w", c.projectID, err)
	}
	if out.TotalCount == nil {
		return esv1.ValidationResultError, fmt.Errorf("listing the secrets of project %s: the answer has no total_count", c.projectID)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
