package aws

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// batchGetSecretsLimit is the most secret ids BatchGetSecretValue takes in one call.
const batchGetSecretsLimit = 20

// GetAllSecrets lists the secrets that find selects (ListSecrets, filtered by name prefix
// and tags on the server and exactly here), then reads their current values in batches of
// 20 (BatchGetSecretValue). Keys are secret names.
func (s *secretsManager) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := newSelector(s.prefix, find)
	if err != nil {
		return nil, err
	}
	ids, err := s.list(ctx, sel)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(ids))
	for start := 0; start < len(ids); start += batchGetSecretsLimit {
		batch := ids[start:min(start+batchGetSecretsLimit, len(ids))]
		if err := s.batchGet(ctx, batch, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// list returns the ARNs of the secrets that sel selects, in name order.
func (s *secretsManager) list(ctx context.Context, sel *selector) ([]string, error) {
	type entry struct{ name, arn string }
	var found []entry
	_, err := s.pageListSecrets(ctx, sel.secretsManagerFilters(), func(e smtypes.SecretListEntry) {
		tags := make(map[string]string, len(e.Tags))
		for _, t := range e.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if sel.Match(aws.ToString(e.Name), tags) {
			found = append(found, entry{name: aws.ToString(e.Name), arn: aws.ToString(e.ARN)})
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool { return found[i].name < found[j].name })
	ids := make([]string, len(found))
	for i, e := range found {
		ids[i] = e.arn
	}
	return ids, nil
}

// batchGet reads the current values of up to 20 secrets into out, keyed by name. A secret
// deleted since it was listed is left out, as if the list had not found it.
func (s *secretsManager) batchGet(ctx context.Context, ids []string, out map[string][]byte) error {
	return s.pageBatchGet(ctx, ids, func(v smtypes.SecretValueEntry) {
		if value, err := entryValue(v); err == nil {
			out[aws.ToString(v.Name)] = value
		}
	}, func(_ string, err error) error {
		if errors.Is(err, provider.ErrNotFound) {
			return nil
		}
		return err
	})
}

// isDeletedSecretError says whether an error code and message mean that a secret is gone:
// not found, or scheduled for deletion, which AWS answers with InvalidRequestException
// until the secret is purged. It is the one place that reads AWS's wording, for the single
// reads and the batch reads alike.
func isDeletedSecretError(code, message string) bool {
	return code == (&smtypes.ResourceNotFoundException{}).ErrorCode() ||
		(code == (&smtypes.InvalidRequestException{}).ErrorCode() && strings.Contains(strings.ToLower(message), "delet"))
}

// selector is a find, compiled: a name prefix (the store's prefix and find.path), a name
// regular expression and tags that must all match.
type selector struct {
	*provider.Find
}

func newSelector(storePrefix string, find esv1.ExternalSecretFind) (*selector, error) {
	path := storePrefix
	if find.Path != nil {
		path += *find.Path
	}
	find.Path = &path
	f, err := provider.CompileFind(find, provider.FindOptions{})
	if err != nil {
		return nil, err
	}
	return &selector{f}, nil
}

// secretsManagerFilters narrows ListSecrets on the server. AWS matches name and tag filters
// loosely (by word prefix, case-insensitively, a key and a value separately), so matches
// checks every secret again exactly.
func (sel *selector) secretsManagerFilters() []smtypes.Filter {
	var filters []smtypes.Filter
	if sel.Path != "" {
		filters = append(filters, smtypes.Filter{Key: smtypes.FilterNameStringTypeName, Values: []string{sel.Path}})
	}
	keys := make([]string, 0, len(sel.Tags))
	for k := range sel.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		filters = append(filters,
			smtypes.Filter{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{k}},
			smtypes.Filter{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{sel.Tags[k]}},
		)
	}
	return filters
}
