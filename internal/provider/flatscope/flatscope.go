package flatscope

import (
	"context"
	"encoding/json"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// scopeKey is the one document key of a scope.
const scopeKey = "scope"

// Get returns the value of ref.Key in values, or the JSON property ref.Property inside it.
// A missing name is provider.ErrNotFound; a missing property is not.
func Get(values map[string]string, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	v, ok := values[ref.Key]
	if !ok {
		return nil, provider.NotFound(ref.Key)
	}
	if ref.Property == "" {
		return []byte(v), nil
	}
	out, err := property.Get([]byte(v), ref.Property)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref.Key, err)
	}
	return out, nil
}

// CheckCurrent refuses what a scope of current values cannot answer: a remoteRef.version or
// metadata, for backends (named by backend) that keep neither.
func CheckCurrent(ref esv1.ExternalSecretDataRemoteRef, backend string) error {
	if ref.Version != "" {
		return fmt.Errorf("%q: %s keeps no versions Ferry can read; remove remoteRef.version", ref.Key, backend)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return fmt.Errorf("%q: %s secrets have no metadata; remove remoteRef.metadataPolicy", ref.Key, backend)
	}
	return nil
}

// GetMap spreads the JSON object at ref (or at its property) into keys.
func GetMap(values map[string]string, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	doc, err := Get(values, ref)
	if err != nil {
		return nil, err
	}
	out, err := property.Spread(doc)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", ref.Key, err)
	}
	return out, nil
}

// Select returns the values whose names sel matches, keyed by name.
func Select(values map[string]string, sel *provider.Find) map[string][]byte {
	out := map[string][]byte{}
	for name, v := range values {
		if sel.MatchName(name) {
			out[name] = []byte(v)
		}
	}
	return out
}

// Batch is the provider.BatchReader part of a client that reads its whole scope with
// ReadAll. Embed it in the client.
type Batch struct {
	// ReadAll reads every secret of the scope in one call.
	ReadAll func(ctx context.Context) (map[string]string, error)
}

// DocumentKey serves every read of the current value from the scope's one document; a
// pinned version or metadata needs a call of its own.
func (b Batch) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	if ref.Version != "" || ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return "", false
	}
	return scopeKey, true
}

// ReadDocuments reads the scope once, whatever keys are asked.
func (b Batch) ReadDocuments(ctx context.Context, _ []string) (map[string]provider.Document, error) {
	values, err := b.ReadAll(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(values)
	if err != nil {
		return nil, fmt.Errorf("encoding the scope's secrets: %w", err)
	}
	return map[string]provider.Document{scopeKey: {Value: doc}}, nil
}

// SecretFromDocument returns what GetSecret returns for ref, from the scope's document.
func (b Batch) SecretFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	values, err := decode(doc)
	if err != nil {
		return nil, err
	}
	return Get(values, ref)
}

// SecretMapFromDocument returns what GetSecretMap returns for ref, from the scope's
// document.
func (b Batch) SecretMapFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	values, err := decode(doc)
	if err != nil {
		return nil, err
	}
	return GetMap(values, ref)
}

func decode(doc provider.Document) (map[string]string, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	var values map[string]string
	if err := json.Unmarshal(doc.Value, &values); err != nil {
		return nil, fmt.Errorf("decoding the scope's secrets: %w", err)
	}
	return values, nil
}
