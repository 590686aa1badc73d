// Package fetch is the one path from reconcilers to providers. It keeps one provider client
// per store generation (and per namespace for ClusterSecretStores whose auth follows the
// asking object's namespace), so credentials are reused across syncs. For clients that read
// in batches (provider.BatchReader) it keeps one document per remote secret, confirms
// documents by version in one check per store (provider.ChangeDetector) and batches reads
// by group commit (documents.go); other reads are coalesced (single flight) and served from
// a short-lived cache. Every cached value is bounded by the age the caller accepts.
//
// It must not log or expose values; cache keys hold names, never values.
package fetch
