// Package keepersecurity is Ferry's provider for Keeper Secrets Manager
// (spec.provider.keepersecurity): it reads the records shared with a Secrets Manager
// application by record UID (or, with getByTitleFallback, by title) and finds them by title,
// giving a record's standard and custom fields as External Secrets Operator does.
//
// It speaks Keeper's Secrets Manager API itself, as Keeper's open-source SDKs describe it:
// every call is a POST to https://<hostname>/api/rest/sm/v1/<endpoint> whose JSON body is
// sealed with AES-256-GCM under a fresh 32-byte transmission key; that key travels encrypted
// to Keeper's published P-256 server key (ECIES: ephemeral ECDH, SHA-256, AES-GCM), and the
// request is signed with the application's private key (ECDSA P-256 over SHA-256 of the
// encrypted key and the encrypted body). Answers are sealed with the transmission key;
// records' keys with the application key (or a shared folder's key), records' data with
// their own key. Nothing is decrypted by the server on Ferry's behalf.
//
// It must not put a field value, the application's private key or its app key in an error
// or a log line. It pushes (create_secret, update_secret at the revision it read,
// delete_secret) only to records of type externalSecrets, ESO's marker for the records it
// creates, and never writes or deletes a record of another type.
package keepersecurity
