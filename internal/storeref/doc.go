// Package storeref turns a reference to a SecretStore or ClusterSecretStore into a store an
// object may use: it applies the controller class, the store's readiness, the namespace
// rules (storeaccess) and the single-namespace mode, and says why not with a classified
// failure (internal/failure). ExternalSecret, PushSecret and the CLI resolve stores here, so
// the rules and their messages are written once. It reads stores and Namespaces only, never
// secret data, and writes nothing.
package storeref
