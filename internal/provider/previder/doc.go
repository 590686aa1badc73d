// Package previder is the Previder Secrets (Previder Vault) provider: it decrypts secrets by
// id or name over Previder's REST API with a plain net/http client, authenticated with an
// access token sent as X-API-Key. It must not put a secret value or the token in an error
// or a log line.
package previder
