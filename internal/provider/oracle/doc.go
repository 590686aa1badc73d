// Package oracle is the Oracle Cloud Infrastructure Vault provider: it reads a secret's
// bundle by name from a vault (the current version, a stage or a version number), takes a
// key of its JSON value, and lists a vault's secrets for dataFrom.find. It speaks OCI's
// REST API (the Secrets retrieval service and the Vault service) with a plain net/http
// client and signs each request itself with OCI's HTTP signature scheme (RSA-SHA256). It
// pushes by creating secrets tagged managed-by=external-secrets, writing new versions of
// them and scheduling their deletion; it never writes or deletes a secret without that tag.
//
// It authenticates as a user principal with an API key read from a Secret, as the instance
// principal (a security token federated from the instance's metadata-service certificate)
// or as an OKE workload (a session token exchanged for a ServiceAccount token). It must not
// put a private key, a signature, a token or a secret's value in an error or a log line.
package oracle
