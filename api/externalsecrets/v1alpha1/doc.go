// Package v1alpha1 holds the types of the external-secrets.io/v1alpha1 API: ExternalSecret,
// SecretStore and ClusterSecretStore in the shape of External Secrets Operator v0.15, the last
// release that served it, so that old manifests (the seed walkthrough's among them) apply
// unchanged. Ferry serves this version but stores v1; the types convert to and from v1 without
// loss (see conversion.go).
//
// This package holds types, markers and conversions only. Controllers and providers work on
// v1 and must not use these types; this package must not import controller-runtime clients,
// provider code or anything with behaviour beyond conversion.
//
// +kubebuilder:object:generate=true
// +groupName=external-secrets.io
package v1alpha1
