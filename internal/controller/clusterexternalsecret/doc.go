// Package clusterexternalsecret reconciles ClusterExternalSecrets: it keeps one
// ExternalSecret in every selected namespace, owned by the ClusterExternalSecret, and removes
// it from namespaces that stop matching. It never touches an ExternalSecret it does not own.
package clusterexternalsecret
