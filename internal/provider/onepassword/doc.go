// Package onepassword is Ferry's provider for 1Password through a 1Password Connect server
// (spec.provider.onepassword): it reads item fields and files from the store's vaults in
// their order, finds fields and files by name, item title or tags, and pushes and deletes
// item fields for PushSecret, over Connect's REST API with net/http.
//
// Vault names are resolved to IDs once per client. It must not put a field value, a file or
// the Connect token in an error or a log line.
package onepassword
