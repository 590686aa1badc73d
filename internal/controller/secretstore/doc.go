// Package secretstore reconciles SecretStores and ClusterSecretStores: it validates each
// store's configuration and its provider, and sets the Ready condition and capabilities that
// ExternalSecrets rely on. It never reads secret values.
package secretstore
