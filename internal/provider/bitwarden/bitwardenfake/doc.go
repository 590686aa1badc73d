// Package bitwardenfake is an in-process bitwarden-sdk-server (the REST wrapper ESO deploys
// beside itself), written from that server's README and routes: everything below
// /rest/api/1, HTTPS only, arguments in a JSON body even for GET; GET /secret {id},
// GET /secrets {organizationId} (identifiers: id, organizationId, key), GET
// /secrets-by-ids {ids}, POST /secret and PUT /secret (key, value, note, organizationId,
// projectIds), DELETE /secret {ids} (data[].error per ID). The Warden-Access-Token header
// is mandatory (401 "Missing Warden access token" without it); a login the SDK refuses is
// 400 "failed to login to bitwarden using access token: ..."; every error of the SDK,
// a missing secret included, is 400 with a text/plain "failed to ...: <detail>" body.
// It serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never
// shipped in the operator binary. No Bitwarden service was reached to write it.
package bitwardenfake
