// Package changefeed turns reports that remote keys changed — from a provider's change feed
// or Ferry's authenticated HTTP endpoint — into refreshes of exactly the objects that read
// those keys (docs/design/0005-event-driven-refresh.md).
//
// A report is a hint, never content: it names a store and keys, the fetcher is told that
// those keys changed (so the next read of each goes to the provider, once), and the objects
// that read them are enqueued. It must never carry or log a value, and it never writes a
// Secret itself.
package changefeed
