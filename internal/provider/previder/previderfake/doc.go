// Package previderfake is an in-process stand-in for the Previder Vault API, written from
// Previder's public API reference (the vault-cli client's wire protocol): GET /secret (the
// listing a ReadWrite token may make) and GET /secret/{id or name}/decrypt, authenticated
// by the X-API-Key header. It serves on 127.0.0.1 only, for Ferry's tests and `make dev`,
// and is never shipped in the operator binary. No Previder service was reached to write it.
package previderfake
