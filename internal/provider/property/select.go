package property

import (
	"context"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Select returns doc itself when path is empty, and otherwise what Get returns: what
// GetSecret gives for a remote value and a remoteRef.property.
func Select(doc []byte, path string) ([]byte, error) {
	if path == "" {
		return doc, nil
	}
	return Get(doc, path)
}

// SpreadAt spreads the JSON object at path in doc (doc itself when path is empty) into
// Secret keys: what GetSecretMap gives for a remote value and a remoteRef.property.
func SpreadAt(doc []byte, path string) (map[string][]byte, error) {
	obj, err := Select(doc, path)
	if err != nil {
		return nil, err
	}
	return Spread(obj)
}

// DocumentReader reads the whole document a reference names, before any property is taken.
type DocumentReader func(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error)

// SelectFrom is GetSecret for a provider whose values are documents: it reads ref's
// document with read and returns what Select finds at ref.Property. what names the remote
// object in errors ("conjur variable"), with the key, never the value.
func SelectFrom(ctx context.Context, read DocumentReader, ref esv1.ExternalSecretDataRemoteRef, what string) ([]byte, error) {
	doc, err := read(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := Select(doc, ref.Property)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, ref.Key, err)
	}
	return out, nil
}

// SpreadFrom is GetSecretMap for the same providers: what SpreadAt finds at ref.Property
// of ref's document.
func SpreadFrom(ctx context.Context, read DocumentReader, ref esv1.ExternalSecretDataRemoteRef, what string) (map[string][]byte, error) {
	doc, err := read(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := SpreadAt(doc, ref.Property)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, ref.Key, err)
	}
	return out, nil
}
