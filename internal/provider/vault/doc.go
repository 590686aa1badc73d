// Package vault is Ferry's provider for HashiCorp Vault's KV secrets engine, versions 1
// and 2 (spec.provider.vault of a SecretStore or ClusterSecretStore), and for OpenBao's
// (spec.provider.openBao, openbao.go): OpenBao is a fork of Vault that serves the same KV,
// token, AppRole and userpass APIs, so its stores run on the same client with their own
// shape, defaults and messages.
//
// It speaks Vault's HTTP API with net/http (http.go): the few endpoints Ferry needs (KV
// reads and lists, logins, token renewal and lookup) do not justify the SDK's weight. A
// client is built once per store (and namespace, for referent auth) and keeps one Vault
// token: obtained by the first call that needs it, renewed before its TTL runs out and
// obtained again only when renewal is impossible, so syncs never log in one by one
// (auth.go). Each auth method is one file: a static token, AppRole, Kubernetes, JWT,
// userpass, LDAP and TLS certificates.
//
// A store annotated events.ferry.dev/vault-event-type also has a change feed
// (changefeed_events.go): a WebSocket subscription to Vault's event notifications, made with
// the store's token, whose KV events are mapped to the remote keys that read each secret
// (changefeed_keys.go). Events are hints; their messages are never logged.
//
// This package must not log secret values or put them in errors, and must read
// Kubernetes objects only through the helpers of internal/provider that enforce
// namespace rules.
package vault
