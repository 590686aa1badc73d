// Package ibmfake is an in-process stand-in for IBM Cloud's IAM token service and a Secrets
// Manager instance, each on a loopback server of its own, written from IBM's public API
// references: IAM's POST /identity/token (form body; the apikey and cr-token grants;
// access_token, expires_in and expiration; {"errorCode","errorMessage"} errors), and Secrets
// Manager v2's GET /api/v2/secrets/{id},
// GET /api/v2/secret_groups/{secret_group_name}/secret_types/{type}/secrets/{name} (the
// group by its name; its ID is in the secret's secret_group_id, "default" for the default
// group and a UUID for the others), GET /api/v2/secrets/{id}/versions/{version} (an ID, or
// the aliases current and previous) and GET /api/v2/secret_groups
// ({"secret_groups":[{"id","name",...}],"total_count"}) (bearer token; the secret resource
// with secret_type and the type's fields; {"errors":[{"code","message","more_info"}],
// "status_code","trace"} errors).
//
// It serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in the
// operator binary. No IBM Cloud service was reached to write it.
package ibmfake
