// Package generator produces the values of generators.external-secrets.io kinds that an
// ExternalSecret names in spec.dataFrom[].sourceRef.generatorRef: random passwords, UUIDs
// and SSH keys, static fake data, TOTP codes, ECR and ECR Public registry logins, STS
// session credentials, Vault and BeyondTrust Workload Credentials dynamic secrets, webhook
// answers, the tokens of the services that issue them (GitHub, GitLab, Grafana) and
// registry logins (Quay, Cloudsmith, ACR, GCR; the cloud ones authenticate through the
// Azure and Google providers' code). One file per kind; the Registry, a value built in
// main, maps kinds to implementations and resolves a generatorRef (a namespaced generator
// or a ClusterGenerator) to the spec it runs. A kind a Registry lacks (every kind of ESO
// v2.9 is in main's) is reported as ErrNotImplemented (a terminal error) and its objects
// are never read.
//
// Every call produces new values: nothing is cached or shared between ExternalSecrets, and
// nothing is remembered, so when values are generated is the caller's decision (the
// ExternalSecret controller generates only when it syncs). This package must not log
// generated values or put them in errors, and reads Kubernetes objects only through the
// helpers of internal/provider that enforce namespace rules.
package generator
