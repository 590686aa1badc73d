package provider

import (
	"context"
	"errors"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// PushRef says where a pushed value goes.
type PushRef struct {
	// RemoteKey is the remote secret's name, path or key.
	RemoteKey string
	// Property, when set, writes the value under this key of a JSON object stored at
	// RemoteKey, keeping the object's other keys.
	Property string
	// SecretKey is the key of the source data the value comes from ("" for the whole data
	// as a JSON object), for providers whose requests name it (webhook templates).
	SecretKey string
	// Metadata is provider-specific (spec.data[].metadata of the PushSecret).
	Metadata *apiextensionsv1.JSON
	// Source is the Kubernetes metadata of what is pushed, for providers that keep it (the
	// Kubernetes provider): nil for generated values.
	Source *SourceMeta
	// Objects reads keys of ConfigMaps and Secrets in the PushSecret's own namespace, for
	// metadata that names one (the AWS resource policy); nil when the caller gives none.
	Objects NamespaceObjects
}

// SourceMeta is the labels, annotations and type of a PushSecret's source Secret, as
// spec.template leaves them: its metadata replaces the source's labels and annotations where
// it sets them, and its type the source's. Labels and annotations that belong to the object
// they are on are left out: those of External Secrets Operator and Ferry (under
// reconcile.external-secrets.io/) and kubectl's last-applied-configuration, which holds the
// source's whole manifest.
type SourceMeta struct {
	Labels, Annotations map[string]string
	Type                string
}

// Writer pushes values to a provider (PushSecret). A provider that cannot write does not
// implement it. Writers must refuse to overwrite or delete a remote secret that Ferry (or
// ESO) did not create, where the backend can tell.
type Writer interface {
	// PushSecret writes value at ref, creating the remote secret when missing. Writing the
	// value already there is not a new version.
	PushSecret(ctx context.Context, value []byte, ref PushRef) error
	// DeleteSecret removes what PushSecret wrote at ref (the property only, when set). A
	// remote secret that is already gone is not an error.
	DeleteSecret(ctx context.Context, ref PushRef) error
	// SecretExists says whether a value exists at ref.
	SecretExists(ctx context.Context, ref PushRef) (bool, error)
}

// ErrNotManaged is returned by writers asked to overwrite or delete a remote secret that
// was not created by Ferry or ESO.
var ErrNotManaged = errors.New("the remote secret exists but was not created by Ferry or External Secrets Operator, so it is left alone")

// ManagedByTag is the tag (or label, or metadata key) writers put on the remote secrets
// they create, the same as ESO's, so secrets pushed by either are recognised by both.
const (
	ManagedByTag   = "managed-by"
	ManagedByValue = "external-secrets"
)
