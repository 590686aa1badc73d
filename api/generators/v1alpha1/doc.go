// Package v1alpha1 holds the types of the generators.external-secrets.io/v1alpha1 API: every
// generator kind of External Secrets Operator v2.9, which an ExternalSecret names in
// spec.dataFrom[].sourceRef.generatorRef, ClusterGenerator, which wraps any of them at
// cluster scope, and GeneratorState, ESO's record of generated resources. The schemas are
// ESO's, field for field, so that every object a user wrote is served and kept as written.
// Ferry generates values for every kind; docs/generators.md lists them.
//
// This package holds types, markers and constants only. It must not import
// controller-runtime clients, generator code or anything with behaviour.
//
// +kubebuilder:object:generate=true
// +groupName=generators.external-secrets.io
package v1alpha1
