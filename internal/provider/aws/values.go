package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Helpers shared by Secrets Manager and Parameter Store: they turn a remote value or a
// set of tags into what a remoteRef asks for. Errors name keys and paths, never values.

// remoteKey puts the store's prefix in front of a remote key. ARNs are absolute and keep
// no prefix.
func remoteKey(prefix, key string) string {
	if prefix == "" || strings.HasPrefix(key, "arn:") {
		return key
	}
	return prefix + key
}

// selectProperty returns value itself, or the value at path inside it.
func selectProperty(value []byte, key, path string) ([]byte, error) {
	if path == "" {
		return value, nil
	}
	out, err := property.Get(value, path)
	if err != nil {
		return nil, fmt.Errorf("remote secret %q: %w", key, err)
	}
	return out, nil
}

// spreadProperty spreads the JSON object value, or the one at path inside it, into keys.
func spreadProperty(value []byte, key, path string) (map[string][]byte, error) {
	doc, err := selectProperty(value, key, path)
	if err != nil {
		return nil, err
	}
	out, err := property.Spread(doc)
	if err != nil {
		return nil, fmt.Errorf("remote secret %q: %w", key, err)
	}
	return out, nil
}

// tagValue returns all tags as a JSON object, or with path the value of one tag. A path
// that is no tag key is looked up inside the tags' JSON, so a tag holding JSON can be read
// into.
func tagValue(tags map[string]string, key, path string) ([]byte, error) {
	if path != "" {
		if v, ok := tags[path]; ok {
			return []byte(v), nil
		}
	}
	doc, err := tagsJSON(tags)
	if err != nil {
		return nil, err
	}
	return selectProperty(doc, key, path)
}

// spreadTags returns the tags as keys, or, with path, spreads the JSON object held by a tag.
func spreadTags(tags map[string]string, key, path string) (map[string][]byte, error) {
	if path != "" {
		doc, err := tagValue(tags, key, path)
		if err != nil {
			return nil, err
		}
		return spreadProperty(doc, key, "")
	}
	out := make(map[string][]byte, len(tags))
	for k, v := range tags {
		out[k] = []byte(v)
	}
	return out, nil
}

// tagsJSON encodes tags as a JSON object with sorted keys and without HTML escaping, so the
// bytes are stable and as written in AWS.
func tagsJSON(tags map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tags); err != nil {
		return nil, fmt.Errorf("encoding tags: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// validateIdentity asks STS who the credentials belong to: it needs no IAM permission, so
// it proves the credentials (and every assumed role) without depending on policies.
func validateIdentity(ctx context.Context, identity callerIdentityAPI) (esv1.ValidationResult, error) {
	if _, err := identity.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking AWS credentials: %w", err)
	}
	return esv1.ValidationResultReady, nil
}
