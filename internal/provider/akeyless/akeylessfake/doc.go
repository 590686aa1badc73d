// Package akeylessfake is an in-process stand-in for the Akeyless API (v2, as api.akeyless.io and a gateway's /v2
// serve it): every command is a POST of a JSON body to /<command> with the token inside the
// body, answered with JSON; errors are a status with the reference's errorResponse, a JSON
// object with one "error" field. The reference gives no status codes for errors: refused
// logins and tokens are 401, missing items and versions 404, as the provider's page says. It speaks
// /auth (access_key and k8s), /describe-item, /get-secret-value, /get-dynamic-secret-value,
// /get-rotated-secret-value, /get-certificate-value, /list-items, /create-secret,
// /update-secret-val and /delete-item, with the field names of
// Akeyless's OpenAPI description (names, version, token, ignore-cache, access-id,
// access-key, k8s-service-account-token, k8s-auth-config-name, item_name, item_type,
// item_tags, next_page, pagination-token); list-items' filter matches any part of a name,
// as the reference describes it, and /auth knows only its own access types (access_key, the
// default, not ESO's "api_key"). It also
// plays the cloud side of aws_iam, azure_ad and gcp logins (STS, Azure's instance metadata
// service, GCP's metadata server). It is written from Akeyless's public API reference,
// serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in the
// operator binary. No Akeyless service was reached to write it.
package akeylessfake
