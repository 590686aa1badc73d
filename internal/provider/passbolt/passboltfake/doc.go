// Package passboltfake is an in-process Passbolt server on loopback, speaking HTTPS,
// written from Passbolt's public API reference and developer guide ("Authenticating with the API",
// GPGAuth; "Response format"; resources, secrets, resource types and metadata keys):
//
//   - POST /auth/login.json, GPGAuth stage 1: {"gpg_auth":{"keyid":<fingerprint>}}; the
//     server encrypts "gpgauthv1.3.0|36|<uuid>|gpgauthv1.3.0" to the user's key and sends
//     it in X-GPGAuth-User-Auth-Token URL-encoded and then escaped with PHP's quotemeta
//     (as Passbolt's GpgAuthenticator does), with an error envelope ("The authentication
//     failed."), as go-passbolt expects of stage 1. Stage 2 adds
//     user_token_result; the server checks it is the token it issued to that key, unused
//     and fresh, and answers X-GPGAuth-Authenticated: true with a passbolt_session cookie.
//   - GET /auth/verify.json gives the server's public key (body.fingerprint, keydata).
//   - GET /resources/{id}.json, /resources.json, /secrets/resource/{id}.json,
//     /resource-types.json, /metadata/keys.json?contain[metadata_private_keys]=1 with the
//     session cookie; every answer is {"header":{id,status,servertime,action,message,url,
//     code},"body":...}; no session is 403 "You need to login to access this location.", an
//     ID that is not a UUID 400, a resource that does not exist (or is deleted) 404.
//
// Secrets and v5 metadata are OpenPGP messages encrypted to the user's public key (or to
// the shared metadata key) and signed by the server's key. It serves on 127.0.0.1 only, for
// Ferry's tests and `make dev`, and is never shipped in the operator binary. No Passbolt
// server was reached to write it.
package passboltfake
