package provider

import (
	"context"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The optional interfaces below let the fetcher save provider calls. They are small and
// shaped by what the fetcher needs; a provider that implements none of them is read
// through Reader alone, one call per read.

// Document is the current value of one whole remote secret, as a batch read returns it.
type Document struct {
	// Value is the secret's bytes, as GetSecret returns them for a ref without a property.
	Value []byte
	// Version identifies this value at the provider (for AWS Secrets Manager, the VersionId
	// that holds AWSCURRENT); "" when the provider did not say, and then the value cannot
	// be confirmed by a ChangeDetector, only read again.
	Version string
	// Err is set instead of Value when this key could not be read; it wraps ErrNotFound
	// when the secret does not exist.
	Err error
}

// BatchReader is a Client that reads the current values of many remote secrets in few
// calls. The fetcher serves the refs it covers from one value per remote secret, however
// many ExternalSecrets read it and whatever property each selects.
type BatchReader interface {
	// DocumentKey names the remote secret whose current value answers ref, and reports false
	// when ref needs a call of its own (a pinned version, metadata).
	DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (key string, ok bool)
	// ReadDocuments reads the current value of every key (DocumentKey names) in as few calls
	// as the provider allows, and returns a Document for each. An error means that none
	// could be read.
	ReadDocuments(ctx context.Context, keys []string) (map[string]Document, error)
	// SecretFromDocument returns what GetSecret returns for ref, from its key's document.
	SecretFromDocument(doc Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error)
	// SecretMapFromDocument returns what GetSecretMap returns for ref, from its key's
	// document.
	SecretMapFromDocument(doc Document, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error)
}

// ChangeDetector is a BatchReader that learns the current versions of many remote secrets
// more cheaply than reading their values, so that a refresh rereads only what changed.
type ChangeDetector interface {
	// Versions returns the current Document.Version of the secrets it finds among keys. It
	// may return more keys than asked — a listing reports every secret it sees — and the
	// fetcher keeps them all. A key left out (deleted, or not matched) is read again.
	Versions(ctx context.Context, keys []string) (map[string]string, error)
}

// NamespaceIndependent is a Provider that can tell when the clients of a
// ClusterSecretStore do not depend on the namespace they act for (no referent auth, no
// namespace in session tags), so that one client, and its cache, serves every namespace.
// Without it, the fetcher builds a client per namespace.
type NamespaceIndependent interface {
	SameForEveryNamespace(store esv1.GenericStore) bool
}
