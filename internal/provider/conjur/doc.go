// Package conjur is the CyberArk Conjur provider (Conjur Open Source, Secrets Manager
// Self-Hosted and SaaS): it reads variables, a version of them and their annotations, and
// finds variables by name and annotations, over Conjur's REST API with a plain net/http
// client.
//
// It authenticates with an API key (authn), a JWT or a ServiceAccount token (authn-jwt) or
// a client certificate (authn-cert), keeps the short-lived access token per client and
// replaces it before it expires. It must not put a secret value, an API key or a token in
// an error or a log line.
package conjur
