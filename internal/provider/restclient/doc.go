// Package restclient is the small JSON-over-HTTPS client that Ferry's providers for REST
// APIs (Doppler, Infisical, GitLab, 1Password Connect and the like) share: one request
// shape, bounded response bodies, TLS with a store's CA bundle, and errors that carry the
// HTTP status, the vendor's message and Retry-After, so a failed read says why.
//
// It must not put a request body, a credential or a response body in an error: an error
// quotes the vendor's message of a failed GET only, since only requests that send no value
// can get an answer that echoes none.
package restclient
