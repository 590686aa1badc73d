package azurekv

import (
	"fmt"
	"maps"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/ferryhq/ferry/internal/provider"
)

// pushMetadata is the metadata a PushSecret entry may give a Key Vault secret: the keys
// ESO's Azure Key Vault provider reads, with its meaning.
type pushMetadata struct {
	// ExpirationDate (RFC 3339) is the pushed version's expiry (attributes.exp).
	ExpirationDate string `json:"expirationDate"`
	// ContentType is the pushed version's content type; unset keeps the current one.
	ContentType string `json:"contentType"`
	// Tags are the pushed version's tags besides managed-by.
	Tags map[string]string `json:"tags"`
}

// secretVersion is what one Set Secret writes: Key Vault keeps the value, content type,
// expiry and tags per version.
type secretVersion struct {
	value       string
	contentType *string
	expires     *time.Time
	tags        map[string]*string
}

// versionOf is the current version of secret s as a secretVersion.
func versionOf(s azsecrets.Secret) secretVersion {
	v := secretVersion{contentType: s.ContentType, tags: s.Tags}
	if s.Value != nil {
		v.value = *s.Value
	}
	if s.Attributes != nil {
		v.expires = s.Attributes.Expires
	}
	return v
}

// nextVersion is the version a push writes over cur (nil when the secret is missing): the
// metadata's tags, content type and expiry when the entry has metadata, else cur's.
func nextVersion(ref provider.PushRef, value string, cur *secretVersion) (secretVersion, error) {
	var meta pushMetadata
	if err := provider.DecodeMetadata(ref, "azurekv", &meta); err != nil {
		return secretVersion{}, err
	}
	if err := provider.RefuseManagedByKey("tags", meta.Tags); err != nil {
		return secretVersion{}, err
	}
	next := secretVersion{value: value, tags: map[string]*string{}}
	if cur != nil {
		next.contentType = cur.contentType
	}
	if !provider.HasMetadata(ref) {
		if cur != nil {
			maps.Copy(next.tags, cur.tags)
			next.expires = cur.expires
		}
		return next, nil
	}
	if meta.ExpirationDate != "" {
		exp, err := time.Parse(time.RFC3339, meta.ExpirationDate)
		if err != nil {
			return secretVersion{}, fmt.Errorf("%w: metadata.spec.expirationDate: %q is not an RFC 3339 time; write it as 2030-12-31T20:00:00Z",
				provider.ErrInvalidMetadata, meta.ExpirationDate)
		}
		// Key Vault keeps whole seconds.
		exp = exp.UTC().Truncate(time.Second)
		next.expires = &exp
	}
	if meta.ContentType != "" {
		next.contentType = &meta.ContentType
	}
	for k, v := range meta.Tags {
		next.tags[k] = &v
	}
	return next, nil
}

// same says whether writing b over a would change nothing a user can see.
func (a secretVersion) same(b secretVersion) bool {
	return a.value == b.value && equalPtr(a.contentType, b.contentType) && equalTime(a.expires, b.expires) &&
		maps.EqualFunc(a.tags, b.tags, equalPtr[string])
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func equalTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}
