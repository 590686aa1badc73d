// Package redact removes known secret values from the messages Ferry writes: condition
// messages, events, and the errors a reconciler returns (which controller-runtime logs).
//
// Messages are built from names, fields and fixed texts, never from values; this package is
// the last line of defence for the messages Ferry does not build itself: a provider error
// that echoes what it was sent, a template author's `fail` with a value in it. A reconcile
// collects the values it has seen (the fetched data, the target Secret's data, the Secrets
// its templates read) in a Set, and passes every message through it before writing it.
//
// It must not log, keep values beyond the Set's owner, or be used to decide anything: it
// only rewrites text.
package redact
