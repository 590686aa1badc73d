// Package pushsecret reconciles PushSecrets: it reads Kubernetes Secrets of the PushSecret's
// namespace, or runs the generator it names (internal/genstate), and writes the values to
// external stores through the shared fetcher's
// writers, records what it pushed in status.syncedPushSecrets, and (deletionPolicy Delete)
// removes pushed values that are no longer asked for, or when the PushSecret is deleted.
// Values never reach logs, events, conditions or status: only key names do.
package pushsecret
