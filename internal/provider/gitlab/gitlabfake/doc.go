// Package gitlabfake is an in-process stand-in for GitLab's REST API v4 project and group
// CI/CD variables, written from GitLab's public API reference: PRIVATE-TOKEN (or Bearer)
// auth, offset pagination with the X-Page / X-Next-Page / X-Total-Pages headers,
// filter[environment_scope] on single-variable calls, a project's ancestor groups, key
// validation and {"message": ...} error bodies. It serves over TLS on 127.0.0.1 only, for
// Ferry's tests and `make dev`, and is never shipped in the operator binary. No GitLab was
// reached to write it.
package gitlabfake
