package bitwarden

import (
	"context"
	"fmt"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// A read by name lists the whole organization, as the listing is the only way from a
// name to an ID. The fetcher's batches let one listing and one /secrets-by-ids serve every
// key a refresh wave reads.
var _ provider.BatchReader = (*Client)(nil)

// DocumentKey covers every read but those GetSecret refuses (a version, metadata): the
// key is the remote key, a name or an ID.
func (*Client) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	if ref.Version != "" || ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return "", false
	}
	return ref.Key, true
}

// ReadDocuments resolves keys, names and IDs, with one listing and one /secrets-by-ids
// read of every candidate. When that read fails (a secret deleted since the listing makes
// the SDK server refuse the whole batch), the keys are read one by one.
func (c *Client) ReadDocuments(ctx context.Context, keys []string) (map[string]provider.Document, error) {
	ids, err := c.list(ctx)
	if err != nil {
		return nil, err
	}
	listed := map[string]string{} // lower-case ID → ID
	byName := map[string][]string{}
	for _, i := range ids {
		listed[strings.ToLower(i.ID)] = i.ID
		byName[i.Key] = append(byName[i.Key], i.ID)
	}
	var wanted []string
	seen := map[string]bool{}
	for _, key := range keys {
		candidates := byName[key]
		if uuidFormat.MatchString(key) {
			candidates = nil
			if id, ok := listed[strings.ToLower(key)]; ok {
				candidates = []string{id}
			}
		}
		for _, id := range candidates {
			if !seen[id] {
				seen[id] = true
				wanted = append(wanted, id)
			}
		}
	}
	var got []secret
	if len(wanted) > 0 {
		if got, err = c.byIDs(ctx, wanted); err != nil {
			return c.readOneByOne(ctx, keys), nil
		}
	}
	byID := map[string]*secret{}
	for i := range got {
		byID[strings.ToLower(got[i].ID)] = &got[i]
	}
	out := make(map[string]provider.Document, len(keys))
	for _, key := range keys {
		var s *secret
		var err error
		if uuidFormat.MatchString(key) {
			if s = byID[strings.ToLower(key)]; s == nil {
				err = provider.NotFound(key)
			}
		} else {
			var found []*secret
			for _, id := range byName[key] {
				if cand := byID[strings.ToLower(id)]; cand != nil && cand.inProject(c.projectID) {
					found = append(found, cand)
				}
			}
			s, err = c.pick(key, found)
		}
		if err != nil {
			out[key] = provider.Document{Err: err}
			continue
		}
		out[key] = provider.Document{Value: []byte(s.Value)}
	}
	return out, nil
}

// readOneByOne resolves each key on its own, as GetSecret does.
func (c *Client) readOneByOne(ctx context.Context, keys []string) map[string]provider.Document {
	out := make(map[string]provider.Document, len(keys))
	for _, key := range keys {
		s, err := c.resolve(ctx, key)
		if err != nil {
			out[key] = provider.Document{Err: err}
			continue
		}
		out[key] = provider.Document{Value: []byte(s.Value)}
	}
	return out
}

// SecretFromDocument selects ref.Property from the document, as GetSecret does.
func (c *Client) SecretFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	return c.selectProperty(doc.Value, ref)
}

// SecretMapFromDocument spreads the document's JSON object, as GetSecretMap does.
func (c *Client) SecretMapFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	value, err := c.selectProperty(doc.Value, ref)
	if err != nil {
		return nil, err
	}
	out, err := property.Spread(value)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", ref.Key, err)
	}
	return out, nil
}
