// Package flatscope serves the providers whose backend returns a whole scope of secrets (a
// Doppler config, an Infisical environment and path, a GitLab project's variables) as one
// flat map of names to values in one call. It reads a value, a property of a JSON value
// and a find from such a map, and makes a provider client a provider.BatchReader whose one
// document is the whole scope, so the fetcher reads the scope once per refresh however
// many ExternalSecrets read from it.
//
// It holds no credentials and makes no calls itself; it must not put a value in an error.
package flatscope
