// Package externalsecret reconciles ExternalSecrets: decide whether a sync is due, resolve
// the store, fetch through the shared fetcher, build the target Secret, apply it, and set the
// status. Decisions (decide.go) and status (status.go) are pure; only the reconciler and its
// phases call the API.
//
// A secret value must never reach a log line, an event, a condition message or a metric.
package externalsecret
