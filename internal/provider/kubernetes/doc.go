// Package kubernetes is Ferry's provider for Secrets of a Kubernetes cluster
// (spec.provider.kubernetes of a SecretStore or ClusterSecretStore): the cluster Ferry runs
// in, or a remote one, one namespace per store (remoteNamespace).
//
// A client is built once per store (and namespace, for referent auth) with the credentials
// the store names: a bearer token or a client certificate read from Secrets, a token
// requested for a ServiceAccount (TokenRequest API, renewed by the client before it
// expires), or a kubeconfig (authRef). Ferry's own identity is never used to read a
// store's Secrets, so a store reads only what its credentials may read. The API server's
// Secrets API sits behind the narrow interface of api.go.
//
// This package must not log secret values or put them in errors, and must read the
// store's own auth objects only through the helpers of internal/provider that enforce
// namespace rules.
package kubernetes
