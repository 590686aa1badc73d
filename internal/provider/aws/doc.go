// Package aws is Ferry's provider for AWS Secrets Manager and AWS Systems Manager
// Parameter Store (spec.provider.aws of a SecretStore or ClusterSecretStore).
//
// A client is built once per store (and namespace, for referent auth) and reused across
// many syncs, so credentials are resolved once and cached until shortly before they expire:
// static keys from a Secret, a ServiceAccount token exchanged for a role (IRSA), or the
// SDK's default chain, then an optional chain of assumed roles. Every AWS SDK client sits
// behind the narrow interfaces of api.go.
//
// This package must not log secret values or put them in errors, and must read Kubernetes
// objects only through the helpers of internal/provider that enforce namespace rules.
package aws
