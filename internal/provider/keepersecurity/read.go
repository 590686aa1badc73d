package keepersecurity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Client reads the records shared with one Secrets Manager application, for a store, and
// pushes to the records it created.
type Client struct {
	api *api
	// byTitleFallback is the store's getByTitleFallback: a key no record has as UID is
	// looked up as a title.
	byTitleFallback bool
	// folderID is the store's folderID: the shared folder PushSecret creates records in.
	folderID string
}

var _ provider.Client = (*Client)(nil)

// GetSecret returns the record ref.Key names (its UID): without a property, ESO's JSON of
// the record ({"title","type","fields","custom","files"}, files with their content); with
// one, the standard field of that label or type, else the custom field of that label, else
// the content of the attachment of that title. remoteRef.version is not read:
// Secrets Manager gives no versions.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	r, err := c.record(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	if ref.Property == "" {
		if err := c.withFiles(ctx, r); err != nil {
			return nil, err
		}
		return r.asJSON()
	}
	return c.propertyValue(ctx, r, ref.Property)
}

// propertyValue is ESO's property lookup: a standard field, else a custom field, else the
// attachment of that title, whose content alone is downloaded.
func (c *Client) propertyValue(ctx context.Context, r *record, name string) ([]byte, error) {
	if v, ok := r.property(name); ok {
		return v, nil
	}
	if a := r.attachmentTitled(name); a != nil {
		return c.download(ctx, r, a)
	}
	return nil, noField(r, name)
}

// GetSecretMap returns the record's fields that have a value, keyed by label (a standard
// field without one by its type), and its attachments by title; with a property, that
// field (or attachment) alone, under its name.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	r, err := c.record(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	if ref.Property != "" {
		v, err := c.propertyValue(ctx, r, ref.Property)
		if err != nil {
			return nil, err
		}
		return map[string][]byte{ref.Property: v}, nil
	}
	if err := c.withFiles(ctx, r); err != nil {
		return nil, err
	}
	out := r.asMap()
	if len(out) == 0 {
		return nil, fmt.Errorf("record %q has no field with a value", r.UID)
	}
	return out, nil
}

// GetAllSecrets returns the records whose title matches find.name.regexp, as ESO does:
// keyed by title, each the JSON GetSecret gives. Keeper has no tags or paths.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("dataFrom.find.tags: Keeper records have no tags; select them by name.regexp (their title)")
	}
	if find.Name == nil || find.Name.RegExp == "" {
		return nil, errors.New("dataFrom.find: Keeper records are found by title; set find.name.regexp")
	}
	match, err := provider.CompileFind(find, provider.FindOptions{NoPaths: "Keeper Secrets Manager"})
	if err != nil {
		return nil, err
	}
	records, err := c.fetch(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	from := map[string]string{}
	for _, r := range records {
		if !match.MatchName(r.Title) {
			continue
		}
		if other, ok := from[r.Title]; ok {
			return nil, fmt.Errorf("dataFrom.find: records %q and %q are both titled %q; the Secret would hold only one of them, so give them distinct titles or narrow name.regexp",
				other, r.UID, r.Title)
		}
		if err := r.checkNames(); err != nil {
			return nil, err
		}
		if err := c.withFiles(ctx, r); err != nil {
			return nil, err
		}
		if out[r.Title], err = r.asJSON(); err != nil {
			return nil, err
		}
		from[r.Title] = r.UID
	}
	return out, nil
}

// validationUID is a well-formed record UID (16 zero bytes, URL-safe base64) that no
// record has: reading it costs Keeper no record and proves the request was accepted.
const validationUID = "AAAAAAAAAAAAAAAAAAAAAA"

// Validate proves that Keeper accepts the application's signature and key by reading
// validationUID: an accepted request answers no record.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.fetch(ctx, []string{validationUID}); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the Secrets Manager configuration: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections; Keeper has no session to end.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}

// record reads the record whose UID is key; with getByTitleFallback, the one record
// titled key when no record has that UID.
func (c *Client) record(ctx context.Context, key string) (*record, error) {
	if key == "" {
		return nil, errors.New("remoteRef.key: required: the record's UID")
	}
	records, err := c.fetch(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	var found []*record
	for _, r := range records {
		if r.UID == key {
			found = append(found, r)
		}
	}
	if len(found) == 0 && c.byTitleFallback {
		all, err := c.fetch(ctx, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range all {
			if r.Title == key {
				found = append(found, r)
			}
		}
		if len(found) > 1 {
			uids := make([]string, 0, len(found))
			for _, r := range found {
				uids = append(uids, r.UID)
			}
			sort.Strings(uids)
			return nil, fmt.Errorf("remoteRef.key %q: %d records have this title (%v); use the UID of the one to read", key, len(found), uids)
		}
	}
	if len(found) == 0 {
		return nil, provider.NotFound(key)
	}
	if err := found[0].checkNames(); err != nil {
		return nil, err
	}
	return found[0], nil
}

// fetch calls get_secret for uids (nil: every record shared with the application).
func (c *Client) fetch(ctx context.Context, uids []string) ([]*record, error) {
	answer, err := c.fetchAnswer(ctx, uids)
	if err != nil {
		return nil, err
	}
	return answer.records, nil
}

// fetchAnswer is fetch with the keys of the shared folders the answer holds.
func (c *Client) fetchAnswer(ctx context.Context, uids []string) (*decrypted, error) {
	payload := getPayload{ClientVersion: clientVersion, ClientID: c.api.creds.clientID, RequestedRecords: uids}
	plain, err := c.api.post(ctx, "get_secret", payload)
	if err != nil {
		return nil, err
	}
	var answer secretsAnswer
	if err := json.Unmarshal(plain, &answer); err != nil {
		return nil, errors.New("get_secret: the decrypted answer is not the JSON of records and folders")
	}
	return decryptRecords(&answer, c.api.creds.appKey)
}

func noField(r *record, name string) error {
	names := make([]string, 0, len(r.Fields)+len(r.Custom))
	for n := range r.asMap() {
		names = append(names, n)
	}
	for _, a := range r.attachments {
		names = append(names, a.title)
	}
	sort.Strings(names)
	names = slices.Compact(names)
	return fmt.Errorf("record %q has no field %q with a value (a standard field by label or type, or a custom field by label); its fields are %v", r.UID, name, names)
}
