// Package v1alpha1 holds the types of the generators.external-secrets.io/v1alpha1 API that
// Ferry serves: the generator kinds an ExternalSecret names in
// spec.dataFrom[].sourceRef.generatorRef (Password, UUID, Fake, ECRAuthorizationToken,
// STSSessionToken, VaultDynamicSecret) and ClusterGenerator, which wraps any of them at
// cluster scope. The schemas follow External Secrets Operator's for the kinds Ferry serves;
// ClusterGenerator's spec.generator union lists only those kinds.
//
// This package holds types, markers and constants only. It must not import
// controller-runtime clients, generator code or anything with behaviour.
//
// +kubebuilder:object:generate=true
// +groupName=generators.external-secrets.io
package v1alpha1
