package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Batch reads and change detection for the fetcher. They need IAM permissions beyond the
// GetSecretValue and DescribeSecret a plain reader needs — secretsmanager:BatchGetSecretValue
// and secretsmanager:ListSecrets — and fall back to the plain calls, for good, when AWS
// denies them.

var (
	_ provider.BatchReader    = (*secretsManager)(nil)
	_ provider.ChangeDetector = (*secretsManager)(nil)
)

// listPageSize is the most secrets one ListSecrets page returns.
const listPageSize = 100

// DocumentKey covers refs that read the current value of a whole secret: no pinned version
// or staging label other than AWSCURRENT, no metadata. The key is the secret's name (with
// the store's prefix) or ARN, as the ref writes it.
func (s *secretsManager) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch || (ref.Version != "" && ref.Version != defaultVersionStage) {
		return "", false
	}
	return remoteKey(s.prefix, ref.Key), true
}

// SecretFromDocument selects ref.Property from the document, as GetSecret does.
func (s *secretsManager) SecretFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	return selectProperty(doc.Value, remoteKey(s.prefix, ref.Key), ref.Property)
}

// SecretMapFromDocument spreads the document's JSON object, as GetSecretMap does.
func (s *secretsManager) SecretMapFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	return spreadProperty(doc.Value, remoteKey(s.prefix, ref.Key), ref.Property)
}

// ReadDocuments reads the current values of keys with BatchGetSecretValue, 20 per call.
// Keys a batch does not answer (a partial ARN it cannot match), and every key once AWS
// denied BatchGetSecretValue, are read one by one with GetSecretValue.
func (s *secretsManager) ReadDocuments(ctx context.Context, keys []string) (map[string]provider.Document, error) {
	out := make(map[string]provider.Document, len(keys))
	if !s.batchDenied.Load() {
		for start := 0; start < len(keys); start += batchGetSecretsLimit {
			err := s.batchDocuments(ctx, keys[start:min(start+batchGetSecretsLimit, len(keys))], out)
			if isAccessDenied(err) {
				s.batchDenied.Store(true)
				break
			}
			if err != nil {
				return nil, err
			}
		}
	}
	for _, key := range keys {
		if _, done := out[key]; done {
			continue
		}
		value, version, err := s.valueAndVersion(ctx, key, "")
		out[key] = provider.Document{Value: value, Version: version, Err: err}
	}
	return out, nil
}

// batchDocuments reads up to 20 keys in one BatchGetSecretValue call into out. A value is
// matched to the key that asked for it by name, or by ARN for keys written as ARNs.
func (s *secretsManager) batchDocuments(ctx context.Context, keys []string, out map[string]provider.Document) error {
	byName := make(map[string]string, len(keys))
	byARN := make(map[string]string, len(keys))
	asked := make(map[string]bool, len(keys))
	for _, k := range keys {
		asked[k] = true
		if strings.HasPrefix(k, "arn:") {
			byARN[k] = k
		} else {
			byName[k] = k
		}
	}
	return s.pageBatchGet(ctx, keys, func(v smtypes.SecretValueEntry) {
		value, err := entryValue(v)
		doc := provider.Document{Value: value, Version: aws.ToString(v.VersionId), Err: err}
		if k, ok := byName[aws.ToString(v.Name)]; ok {
			out[k] = doc
		}
		if k, ok := byARN[aws.ToString(v.ARN)]; ok {
			out[k] = doc
		}
	}, func(k string, err error) error {
		if asked[k] {
			out[k] = provider.Document{Err: err}
		}
		return nil
	})
}

// Versions learns the current VersionId of keys by the cheaper of two ways: DescribeSecret,
// one call per key, when there are fewer keys than the ListSecrets pages the store's secrets
// took last time; otherwise ListSecrets over the store's prefix, 100 secrets per call,
// reporting every secret seen by name and by ARN. Without the count of pages yet, more
// than one key is worth a listing.
func (s *secretsManager) Versions(ctx context.Context, keys []string) (map[string]string, error) {
	pages := s.listPages.Load()
	if !s.listDenied.Load() && (int64(len(keys)) >= pages || pages == 0) && len(keys) > 1 {
		out, n, err := s.listVersions(ctx)
		switch {
		case err == nil:
			s.listPages.Store(int64(n))
			return out, nil
		case isAccessDenied(err):
			s.listDenied.Store(true)
		default:
			return nil, err
		}
	}
	out := make(map[string]string, len(keys))
	for _, key := range keys {
		d, err := s.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(key)})
		if err != nil {
			if errors.Is(secretsManagerError(err, key, "describing"), provider.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("describing secret %q in AWS Secrets Manager: %w", key, err)
		}
		if d.DeletedDate != nil {
			continue
		}
		if v := currentVersion(d.VersionIdsToStages); v != "" {
			out[key] = v
		}
	}
	return out, nil
}

// listVersions lists every secret under the store's prefix and returns their current
// VersionIds by name and by ARN, and the number of pages it took.
func (s *secretsManager) listVersions(ctx context.Context) (map[string]string, int, error) {
	var filters []smtypes.Filter
	if s.prefix != "" {
		filters = []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{s.prefix}}}
	}
	out := map[string]string{}
	pages, err := s.pageListSecrets(ctx, filters, func(e smtypes.SecretListEntry) {
		if v := currentVersion(e.SecretVersionsToStages); v != "" {
			out[aws.ToString(e.Name)] = v
			out[aws.ToString(e.ARN)] = v
		}
	})
	return out, pages, err
}

// currentVersion returns the VersionId that holds the AWSCURRENT label.
func currentVersion(versions map[string][]string) string {
	for id, stages := range versions {
		for _, stage := range stages {
			if stage == defaultVersionStage {
				return id
			}
		}
	}
	return ""
}

// isAccessDenied reports whether AWS refused a call for lack of permission.
func isAccessDenied(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && coded.ErrorCode() == "AccessDeniedException"
}

// pageListSecrets pages ListSecrets with filters, handing each secret not scheduled for
// deletion to each, and returns the number of pages read.
func (s *secretsManager) pageListSecrets(ctx context.Context, filters []smtypes.Filter, each func(smtypes.SecretListEntry)) (int, error) {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(listPageSize), Filters: filters}
	for pages := 1; ; pages++ {
		res, err := s.api.ListSecrets(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("listing secrets in AWS Secrets Manager: %w", err)
		}
		for _, e := range res.SecretList {
			if e.DeletedDate == nil {
				each(e)
			}
		}
		if aws.ToString(res.NextToken) == "" {
			return pages, nil
		}
		in.NextToken = res.NextToken
	}
}

// pageBatchGet pages BatchGetSecretValue for ids (at most batchGetSecretsLimit), handing
// each value to value and each per-secret error to failed, as provider.ErrNotFound for a
// secret that is gone or scheduled for deletion. failed's error stops the read.
func (s *secretsManager) pageBatchGet(ctx context.Context, ids []string, value func(smtypes.SecretValueEntry), failed func(id string, err error) error) error {
	in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}
	for {
		res, err := s.api.BatchGetSecretValue(ctx, in)
		if err != nil {
			return fmt.Errorf("reading %d secrets from AWS Secrets Manager: %w", len(ids), err)
		}
		for _, e := range res.Errors {
			id, code, msg := aws.ToString(e.SecretId), aws.ToString(e.ErrorCode), aws.ToString(e.Message)
			err := fmt.Errorf("reading secret %q from AWS Secrets Manager: %s: %s", id, code, msg)
			if isDeletedSecretError(code, msg) {
				err = provider.NotFound(id)
			}
			if err := failed(id, err); err != nil {
				return err
			}
		}
		for _, v := range res.SecretValues {
			value(v)
		}
		if aws.ToString(res.NextToken) == "" {
			return nil
		}
		in.NextToken = res.NextToken
	}
}

// entryValue is the value of a batch entry. A version with neither a string nor a binary
// value is read as absent, as GetSecretValue reports a secret without a current value.
func entryValue(v smtypes.SecretValueEntry) ([]byte, error) {
	switch {
	case v.SecretString != nil:
		return []byte(*v.SecretString), nil
	case v.SecretBinary != nil:
		return v.SecretBinary, nil
	}
	return nil, provider.NotFound(aws.ToString(v.Name))
}
