package azurekv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Client reads and writes one vault.
type Client struct {
	secrets secretsAPI
	keys    keysAPI
	certs   certificatesAPI
}

// Object types, chosen by the remote key's prefix; no prefix means a secret.
const (
	objectSecret = "secret"
	objectCert   = "cert"
	objectKey    = "key"
)

// splitKey returns the object type and name of a remote key.
func splitKey(key string) (kind, name string) {
	for _, k := range []string{objectSecret, objectCert, objectKey} {
		if rest, ok := strings.CutPrefix(key, k+"/"); ok {
			return k, rest
		}
	}
	return objectSecret, key
}

// listError describes a failed listing of the vault's secrets, by status and code only.
func listError(err error) error {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return fmt.Errorf("listing the vault's secrets: HTTP %d %s", respErr.StatusCode, respErr.ErrorCode)
	}
	return fmt.Errorf("listing the vault's secrets: %w", err)
}

// apiError turns an SDK error about key into Ferry's: HTTP 404 is provider.ErrNotFound.
// Only the status and Key Vault's error code are kept, never the response body.
func apiError(err error, key, op string) error {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		if respErr.StatusCode == http.StatusNotFound {
			return provider.NotFound(key)
		}
		return fmt.Errorf("%s %q: HTTP %d %s", op, key, respErr.StatusCode, respErr.ErrorCode)
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}

// read returns the object's value and tags: a secret's value, a certificate's DER, or a
// key's JSON Web Key.
func (c *Client) read(ctx context.Context, key, version string) ([]byte, map[string]*string, error) {
	kind, name := splitKey(key)
	switch kind {
	case objectCert:
		cert, err := c.certs.GetCertificate(ctx, name, version)
		if err != nil {
			return nil, nil, apiError(err, key, "reading certificate")
		}
		return cert.CER, cert.Tags, nil
	case objectKey:
		resp, err := c.keys.GetKey(ctx, name, version, nil)
		if err != nil {
			return nil, nil, apiError(err, key, "reading key")
		}
		jwk, err := json.Marshal(resp.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("key %q: encoding it as JSON: %w", key, err)
		}
		return jwk, resp.Tags, nil
	default:
		resp, err := c.secrets.GetSecret(ctx, name, version, nil)
		if err != nil {
			return nil, nil, apiError(err, key, "reading secret")
		}
		if resp.Value == nil {
			return nil, resp.Tags, nil
		}
		return []byte(*resp.Value), resp.Tags, nil
	}
}

// GetSecret returns the object's value at ref.Version (default: the current one), the
// value at ref.Property inside it, or with metadataPolicy Fetch its tags.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	value, tags, err := c.read(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		if v, ok := tags[ref.Property]; ok && ref.Property != "" && v != nil {
			return []byte(*v), nil
		}
		doc, err := json.Marshal(plainTags(tags))
		if err != nil {
			return nil, fmt.Errorf("%q: encoding its tags: %w", ref.Key, err)
		}
		value = doc
	}
	if ref.Property == "" {
		return value, nil
	}
	if kind, _ := splitKey(ref.Key); kind == objectCert && ref.MetadataPolicy != esv1.MetadataPolicyFetch {
		return nil, fmt.Errorf("%q: a certificate has no properties", ref.Key)
	}
	out, err := property.Get(value, ref.Property)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref.Key, err)
	}
	return out, nil
}

func plainTags(tags map[string]*string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// GetSecretMap spreads the JSON object at ref (or at its property) into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadSecret(ctx, c, ref)
}

// GetAllSecrets returns the current value of every enabled secret whose name matches
// find.name and whose tags hold find.tags, keyed by the secret's name.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := provider.CompileFind(find, provider.FindOptions{NoPaths: "Key Vault", EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	pager := c.secrets.NewListSecretPropertiesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, listError(err)
		}
		for _, s := range page.Value {
			if !selected(s, sel) {
				continue
			}
			name := s.ID.Name()
			value, _, err := c.read(ctx, name, "")
			if errors.Is(err, provider.ErrNotFound) {
				continue // deleted since listed
			}
			if err != nil {
				return nil, err
			}
			out[name] = value
		}
	}
	return out, nil
}

func selected(s *azsecrets.SecretProperties, sel *provider.Find) bool {
	if s == nil || s.ID == nil {
		return false
	}
	if s.Attributes != nil && s.Attributes.Enabled != nil && !*s.Attributes.Enabled {
		return false
	}
	return sel.Match(s.ID.Name(), plainTags(s.Tags))
}

// Validate checks that the vault's secrets can be listed.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	pager := c.secrets.NewListSecretPropertiesPager(nil)
	if _, err := pager.NextPage(ctx); err != nil {
		return esv1.ValidationResultError, listError(err)
	}
	return esv1.ValidationResultReady, nil
}

// Close releases nothing: the SDK clients hold no connections of their own.
func (c *Client) Close(context.Context) error { return nil }
