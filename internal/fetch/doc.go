// Package fetch is the one path from reconcilers to providers. It keeps one provider client
// per store generation (and per namespace for ClusterSecretStores, whose auth may follow the
// asking object's namespace), so credentials are reused across syncs; it coalesces
// concurrent identical reads (single flight) and serves repeated reads from a short-lived
// cache bounded by the age the caller accepts.
//
// It must not log or expose values; cache keys hold names, never values.
package fetch
