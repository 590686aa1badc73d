package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// kvClient reads a KV secrets engine, version 1 or 2.
type kvClient struct {
	conn *conn
	// listsKV1 lets dataFrom.find list a KV v1 engine (OpenBao stores).
	listsKV1 bool
	// versionField, when set, makes Validate check the mount's KV version and names the
	// field to change (OpenBao stores, whose mount is always known).
	versionField string
	// checkAndSet makes KV v2 writes name the version they replace (checkAndSet.required).
	checkAndSet bool
}

var _ provider.Client = (*kvClient)(nil)

// kvV2Data is KV v2's answer to a read of <mount>/data/<path>.
type kvV2Data struct {
	Data *struct {
		Data     json.RawMessage `json:"data"`
		Metadata *struct {
			DeletionTime string `json:"deletion_time"`
			Destroyed    bool   `json:"destroyed"`
		} `json:"metadata"`
	} `json:"data"`
}

// kvV1Data is KV v1's answer to a read of <mount>/<path>.
type kvV1Data struct {
	Data json.RawMessage `json:"data"`
}

// kvV2Metadata is KV v2's answer to a read of <mount>/metadata/<path>.
type kvV2Metadata struct {
	Data *kvV2MetadataData `json:"data"`
}

// kvV2MetadataData is the part of a KV v2 metadata answer Ferry uses.
type kvV2MetadataData struct {
	CustomMetadata map[string]string `json:"custom_metadata"`
	// CurrentVersion is the newest version, deleted or not; check-and-set writes name it.
	CurrentVersion uint64 `json:"current_version"`
}

// GetSecret returns the secret's data as a JSON object, or the value at ref.Property inside
// it (strings as they are, anything else as JSON). With metadataPolicy Fetch it reads the
// secret's custom_metadata (KV v2) instead. ref.Version selects a KV v2 version.
func (c *kvClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		meta, err := c.customMetadata(ctx, ref.Key)
		if err != nil {
			return nil, err
		}
		if v, ok := meta[ref.Property]; ok {
			return []byte(v), nil
		}
		return c.selectProperty(mapJSON(meta), ref.Key, ref.Property)
	}
	data, err := c.data(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	return c.selectProperty(data, ref.Key, ref.Property)
}

// GetSecretMap spreads the secret's data (or the object at ref.Property inside it) into
// keys; with metadataPolicy Fetch it returns the secret's custom_metadata.
func (c *kvClient) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	var doc []byte
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		meta, err := c.customMetadata(ctx, ref.Key)
		if err != nil {
			return nil, err
		}
		doc = mapJSON(meta)
	} else {
		data, err := c.data(ctx, ref.Key, ref.Version)
		if err != nil {
			return nil, err
		}
		doc = data
	}
	doc, err := c.selectProperty(doc, ref.Key, ref.Property)
	if err != nil {
		return nil, err
	}
	out, err := property.Spread(doc)
	if err != nil {
		return nil, fmt.Errorf("%s secret %q: %w", c.product(), ref.Key, err)
	}
	return out, nil
}

// Validate proves that Vault accepts the store's token (logging in first if the method
// needs to) by looking the token up, then, for stores that check their mount, that the
// mount is a KV engine of the store's version.
func (c *kvClient) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	err := c.conn.call(ctx, request{method: http.MethodGet, path: "auth/token/lookup-self"}, nil)
	if err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the %s token: %w", c.product(), err)
	}
	if c.versionField != "" {
		if err := c.checkMount(ctx); err != nil {
			return esv1.ValidationResultError, err
		}
	}
	return esv1.ValidationResultReady, nil
}

// checkMount compares the store's mount with the engine the server reports at
// sys/internal/ui/mounts/<mount>, which answers any token allowed on a path below the
// mount. A token it does not answer, or an answer without the engine's type, proves
// nothing either way and passes: reads will tell. A mount that is not KV, or of the other
// KV version, fails with what to change.
func (c *kvClient) checkMount(ctx context.Context) error {
	l := c.conn.layout
	token, err := c.conn.tokens.get(ctx)
	if err != nil {
		return err
	}
	var out struct {
		Data *struct {
			Type    string            `json:"type"`
			Options map[string]string `json:"options"`
		} `json:"data"`
	}
	// Not conn.call: a refusal here says nothing about the token, which lookup-self proved.
	req := request{method: http.MethodGet, path: "sys/internal/ui/mounts/" + l.mount, token: token, namespace: c.conn.namespace}
	if err := c.conn.transport.do(ctx, req, &out); err != nil || out.Data == nil || out.Data.Type == "" {
		return nil
	}
	if out.Data.Type != "kv" {
		return fmt.Errorf("%s mount %q is a %q engine, not KV: set the store's path to a KV mount", c.product(), l.mount, out.Data.Type)
	}
	mountV2 := out.Data.Options["version"] == "2"
	if mountV2 == l.v2 {
		return nil
	}
	mountVersion, storeVersion := "v1", "v2"
	if mountV2 {
		mountVersion, storeVersion = "v2", "v1"
	}
	return fmt.Errorf("%s mount %q is KV %s but the store says %s: set %s: %s",
		c.product(), l.mount, mountVersion, storeVersion, c.versionField, mountVersion)
}

// product names the server in messages: "vault" or "openbao".
func (c *kvClient) product() string { return c.conn.transport.product }

// Close drops the client's idle connections. The token is left to expire: revoking it
// would cost a call and gain nothing, as Vault bounds its life anyway.
func (c *kvClient) Close(context.Context) error {
	c.conn.transport.close()
	return nil
}

// data reads the secret's data object: the latest version, or the one version names (KV v2).
// A missing secret, and a deleted or destroyed version, is provider.ErrNotFound.
func (c *kvClient) data(ctx context.Context, key, version string) ([]byte, error) {
	l := c.conn.layout
	if !l.v2 {
		if version != "" {
			return nil, fmt.Errorf("remoteRef.version %q: a KV v1 engine keeps no versions", version)
		}
		return c.dataV1(ctx, l.dataPath(key), key)
	}
	return c.dataV2(ctx, l.dataPath(key), key, version)
}

// dataV1 reads a KV v1 path; key names the secret in errors.
func (c *kvClient) dataV1(ctx context.Context, path, key string) ([]byte, error) {
	var out kvV1Data
	if err := c.conn.call(ctx, request{method: http.MethodGet, path: path}, &out); err != nil {
		return nil, c.readError(err, key)
	}
	if isNull(out.Data) {
		return nil, provider.NotFound(key)
	}
	return out.Data, nil
}

// dataV2 reads a KV v2 data path; key names the secret in errors.
func (c *kvClient) dataV2(ctx context.Context, path, key, version string) ([]byte, error) {
	req := request{method: http.MethodGet, path: path}
	if version != "" {
		if n, err := strconv.ParseUint(version, 10, 64); err != nil || n == 0 {
			return nil, fmt.Errorf("remoteRef.version %q: a KV v2 version is a positive number", version)
		}
		req.query = url.Values{"version": {version}}
	}
	var out kvV2Data
	if err := c.conn.call(ctx, req, &out); err != nil {
		return nil, c.readError(err, key)
	}
	if out.Data == nil || isNull(out.Data.Data) ||
		(out.Data.Metadata != nil && (out.Data.Metadata.DeletionTime != "" || out.Data.Metadata.Destroyed)) {
		return nil, provider.NotFound(key)
	}
	return out.Data.Data, nil
}

// customMetadata reads a KV v2 secret's custom_metadata.
func (c *kvClient) customMetadata(ctx context.Context, key string) (map[string]string, error) {
	l := c.conn.layout
	if !l.v2 {
		return nil, errors.New("remoteRef.metadataPolicy Fetch: a KV v1 engine keeps no metadata")
	}
	return c.metadataV2(ctx, l.metadataPath(key), key)
}

// metadataV2 reads the custom_metadata at a KV v2 metadata path; key names the secret in
// errors.
func (c *kvClient) metadataV2(ctx context.Context, path, key string) (map[string]string, error) {
	md, err := c.metadataDocV2(ctx, path, key)
	if err != nil {
		return nil, err
	}
	return md.CustomMetadata, nil
}

// metadataDocV2 reads a KV v2 metadata path (custom_metadata never nil); key names the
// secret in errors.
func (c *kvClient) metadataDocV2(ctx context.Context, path, key string) (kvV2MetadataData, error) {
	var out kvV2Metadata
	if err := c.conn.call(ctx, request{method: http.MethodGet, path: path}, &out); err != nil {
		return kvV2MetadataData{}, c.readError(err, key)
	}
	if out.Data == nil {
		return kvV2MetadataData{}, provider.NotFound(key)
	}
	if out.Data.CustomMetadata == nil {
		out.Data.CustomMetadata = map[string]string{}
	}
	return *out.Data, nil
}

// readError maps 404 to provider.ErrNotFound and names the key in any other error.
func (c *kvClient) readError(err error, key string) error {
	if statusOf(err) == http.StatusNotFound {
		return provider.NotFound(key)
	}
	return fmt.Errorf("reading %s secret %q: %w", c.product(), key, err)
}

func (c *kvClient) selectProperty(doc []byte, key, path string) ([]byte, error) {
	if path == "" {
		return doc, nil
	}
	out, err := property.Get(doc, path)
	if err != nil {
		return nil, fmt.Errorf("%s secret %q: %w", c.product(), key, err)
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null"))
}

// mapJSON encodes a string map with sorted keys and without HTML escaping.
func mapJSON(m map[string]string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
