// Package v1 holds the types of the external-secrets.io/v1 API that Ferry serves:
// ExternalSecret, SecretStore and ClusterSecretStore, schema-compatible with External
// Secrets Operator's v1 API. v1 is the storage and hub version.
//
// This package holds types, markers and constants only. It must not import
// controller-runtime clients, provider code or anything with behaviour beyond
// small accessors and defaulting.
//
// +kubebuilder:object:generate=true
// +groupName=external-secrets.io
package v1
