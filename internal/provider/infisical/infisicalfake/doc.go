// Package infisicalfake is an in-process stand-in for Infisical's API, written from
// Infisical's public API reference: machine identity logins (universal, JWT, LDAP,
// Kubernetes) answering {accessToken, expiresIn, tokenType}, the v3 raw secrets endpoints
// (list with imports and recursion, read by name and version, create, update, delete), the
// project lookup by slug, and {"statusCode","message","error"} error bodies. It serves over
// TLS on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in the
// operator binary. No Infisical service was reached to write it.
package infisicalfake
