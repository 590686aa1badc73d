// Package bitwarden is Ferry's provider for Bitwarden Secrets Manager
// (spec.provider.bitwardensecretsmanager). Like External Secrets Operator's, it does not
// speak to Bitwarden itself: it calls the bitwarden-sdk-server, a small HTTPS REST wrapper
// around Bitwarden's SDK, sending the machine account's access token (and the Bitwarden
// API and identity URLs) in the Warden-* headers of every request.
//
// It reads secrets by ID or by name within the store's project, finds them by name, and
// pushes and deletes them for PushSecret. It overwrites and deletes only the secrets whose
// note carries Ferry's ownership line, which it writes on the secrets it creates.
//
// It must not put a secret value, a note or the access token in an error or a log line.
package bitwarden
