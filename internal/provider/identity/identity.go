// Package identity describes the identities Ferry authenticates as with a cloud provider's
// credential code, wherever they are written: a store's spec.provider.<name>, or a
// generator's auth expressed in the same form. The provider packages build credentials
// from them (aws.Access, azurekv.Access and gcpsm.Access are these types); generators,
// which the providers' tests reach through the operator and so cannot import them,
// describe their auth with these types alone.
package identity

import (
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// AWS is an identity of spec.provider.aws's form.
type AWS struct {
	// For is the object the auth's references are read for: a namespaced one reads only in
	// its namespace. Its namespace and name also name the role sessions.
	For provider.Referent
	// Field is the path of Spec in error messages ("spec.provider.aws" in a store).
	Field string
	// Spec holds the region, auth, roles and session tags; Service and Prefix are not read.
	Spec *esv1.AWSProvider
	// Retry is the store's retrySettings, or nil for the SDK's retries.
	Retry *esv1.SecretStoreRetrySettings
}

// Azure is an Entra ID identity of spec.provider.azurekv's form, of which vaultUrl is not
// read; errors name its fields under spec.provider.azurekv.
type Azure struct {
	// For is the object the auth's references are read for.
	For  provider.Referent
	Spec *esv1.AzureKVProvider
}

// Google is a Google identity of spec.provider.gcpsm's form, of which only auth and
// projectID are read; errors name its fields under spec.provider.gcpsm.
type Google struct {
	// For is the object the auth's references are read for.
	For  provider.Referent
	Spec *esv1.GCPSMProvider
}
