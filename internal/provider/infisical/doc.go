// Package infisical is Ferry's provider for Infisical (spec.provider.infisical): it reads
// the secrets of one project, environment and folder, finds them by name or folder, and
// pushes and deletes them for PushSecret, over Infisical's REST API (the v3 raw secrets
// endpoints ESO's SDK uses) with net/http.
//
// The store's folder is listed whole in one call, so the fetcher serves every
// ExternalSecret on a store from one list per refresh (flatscope.Batch); keys in other
// folders are read one by one. It logs in as a machine identity (universal auth, a
// Kubernetes ServiceAccount token, a JWT, LDAP) or uses an access token, and keeps the
// access token until shortly before it expires.
//
// It must not put a secret value or a credential in an error or a log line.
package infisical
