// Package provider defines the contract between Ferry and the external secret managers it
// reads from, and the registry that maps a store's spec.provider key to an implementation.
//
// The registry is a value built in main and handed to the fetcher; nothing registers itself
// from init(). Providers are reached only through internal/fetch, never from reconcilers
// directly. This package must not log secret values or put them in errors.
package provider
