package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Client reads and writes the secrets of one project (and location).
type Client struct {
	sm       secretManager
	project  string
	location string
}

// parent is the resource name secrets live under.
func (c *Client) parent() string {
	if c.location != "" {
		return fmt.Sprintf("projects/%s/locations/%s", c.project, c.location)
	}
	return "projects/" + c.project
}

// secretName is the resource name of the secret key; a key that already is a resource
// name ("projects/...") is used as written.
func (c *Client) secretName(key string) string {
	if strings.HasPrefix(key, "projects/") {
		return key
	}
	return c.parent() + "/secrets/" + key
}

// versionName is the resource name of a version; "" means "latest".
func (c *Client) versionName(key, version string) string {
	if version == "" {
		version = "latest"
	}
	version = strings.TrimPrefix(version, "versions/")
	return c.secretName(key) + "/versions/" + version
}

// apiError turns a gRPC error about key into Ferry's: NotFound is provider.ErrNotFound.
func apiError(err error, key, op string) error {
	if status.Code(err) == codes.NotFound {
		return provider.NotFound(key)
	}
	return fmt.Errorf("%s %q: %s", op, key, status.Code(err))
}

func (c *Client) access(ctx context.Context, key, version string) ([]byte, error) {
	resp, err := c.sm.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: c.versionName(key, version)})
	if err != nil {
		return nil, apiError(err, key, "reading secret")
	}
	return resp.GetPayload().GetData(), nil
}

// metadata returns the secret's labels and annotations as one JSON object.
func (c *Client) metadata(ctx context.Context, key string) ([]byte, error) {
	s, err := c.sm.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: c.secretName(key)})
	if err != nil {
		return nil, apiError(err, key, "reading the metadata of secret")
	}
	doc, err := json.Marshal(map[string]map[string]string{
		"labels": orEmpty(s.GetLabels()), "annotations": orEmpty(s.GetAnnotations()),
	})
	if err != nil {
		return nil, fmt.Errorf("secret %q: encoding its metadata: %w", key, err)
	}
	return doc, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// value is what ref reads before its property is applied: the version's payload, or with
// metadataPolicy Fetch the secret's labels and annotations.
func (c *Client) value(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return c.metadata(ctx, ref.Key)
	}
	return c.access(ctx, ref.Key, ref.Version)
}

// GetSecret returns the value of ref.Key at ref.Version (default latest), or the value at
// ref.Property inside it.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	value, err := c.value(ctx, ref)
	if err != nil || ref.Property == "" {
		return value, err
	}
	out, err := property.Get(value, ref.Property)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetSecretMap spreads the JSON object at ref (or at its property) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets returns the latest value of every secret whose name matches find.name and
// whose labels hold find.tags, keyed by the secret's short name.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := provider.CompileFind(find, provider.FindOptions{NoPaths: "Secret Manager", EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	req := &secretmanagerpb.ListSecretsRequest{Parent: c.parent(), Filter: labelFilter(find.Tags)}
	out := map[string][]byte{}
	it := c.sm.ListSecrets(ctx, req)
	for {
		s, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("listing secrets of %s: %s", c.parent(), status.Code(err))
		}
		name := s.GetName()[strings.LastIndex(s.GetName(), "/")+1:]
		if !sel.Match(name, s.GetLabels()) {
			continue
		}
		value, err := c.access(ctx, name, "")
		if errors.Is(err, provider.ErrNotFound) {
			continue // no enabled version (or deleted since listed): nothing to sync
		}
		if err != nil {
			return nil, err
		}
		out[name] = value
	}
	return out, nil
}

// labelFilter is the server-side filter for tags; the find checks them again, so a
// server that ignores part of the filter cannot widen the result.
func labelFilter(tags map[string]string) string {
	keys := slicesSorted(tags)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("labels.%s=%s", k, tags[k]))
	}
	return strings.Join(parts, " AND ")
}

func slicesSorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Validate checks that the project's secrets can be listed.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	it := c.sm.ListSecrets(ctx, &secretmanagerpb.ListSecretsRequest{Parent: c.parent(), PageSize: 1})
	if _, err := it.Next(); err != nil && !errors.Is(err, iterator.Done) {
		return esv1.ValidationResultError, fmt.Errorf("listing secrets of %s: %s", c.parent(), status.Code(err))
	}
	return esv1.ValidationResultReady, nil
}

// Close closes the client's connection.
func (c *Client) Close(context.Context) error { return c.sm.Close() }
