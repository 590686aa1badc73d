// Package passbolt is Ferry's provider for Passbolt (spec.provider.passbolt): it reads
// resources of a Passbolt server by resource ID, and finds them by name, as External
// Secrets Operator reads them: a resource gives its name, username, uri, password and
// description.
//
// It logs in with GPGAuth, as ESO does through go-passbolt: the user's OpenPGP private
// key (and its passphrase) from the store's Secrets decrypts the server's challenge, and
// the session cookie the server then issues is kept per client and replaced when the
// server no longer accepts it. Secrets and, for v5 resources, metadata come back as
// OpenPGP messages encrypted to the user's key (or to the organisation's metadata key,
// itself encrypted to the user) and are decrypted here, with
// github.com/ProtonMail/go-crypto/openpgp, never by the server.
//
// It must not put a secret value, the passphrase, the private key or the session cookie
// in an error or a log line. It only reads: ESO's Passbolt provider does not push.
package passbolt
