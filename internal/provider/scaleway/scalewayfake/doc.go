// Package scalewayfake is an in-process stand-in for Scaleway's Secret Manager API
// (v1beta1), written from Scaleway's public API reference: the X-Auth-Token header, regions
// in the path, ListSecrets with project_id, name, path and tags filters and page /
// page_size / total_count pagination, CreateSecret, GetSecret, DeleteSecret,
// CreateSecretVersion and AccessSecretVersion, and {"message", "type"} error bodies. It
// serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in the
// operator binary. No Scaleway service was reached to write it.
package scalewayfake
