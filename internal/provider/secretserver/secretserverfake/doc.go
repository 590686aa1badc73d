// Package secretserverfake is an in-process stand-in for a Delinea Secret Server, written
// from its public REST API
// reference: the OAuth2 password grant at /oauth2/token (form-encoded, with an optional
// domain), and, with a bearer token, GET /api/v1/secrets/{id}, /api/v1/secrets/0?secretPath=,
// the search /api/v1/secrets?filter.searchText=&filter.searchField=&skip=&take=, file
// fields at /api/v1/secrets/{id}/fields/{slug} and /api/v1/users/current, with camelCase
// models and {"errorCode", "message"} error bodies; and for pushes the template's stub
// secret GET /api/v1/secrets/stub?secretTemplateId=&folderId=, POST /api/v1/secrets (the
// stub, filled in), PUT /api/v1/secrets/{id}/fields/{slug} ({"value"}) and
// DELETE /api/v1/secrets/{id}. It is served below /SecretServer, as an
// on-premises install is, on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never
// shipped in the operator binary. No Secret Server was reached to write it.
package secretserverfake
