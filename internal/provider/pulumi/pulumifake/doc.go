// Package pulumifake is an in-process stand-in for Pulumi ESC's environments API, written
// from Pulumi Cloud's public REST API reference: "Authorization: token <token>", the media
// type application/vnd.pulumi+8, opening an environment and reading an open session's
// values (ESC Values), reading and replacing an environment's YAML definition, the OAuth
// token exchange for OIDC, and {"code", "message"} error bodies. It serves on 127.0.0.1
// only, for Ferry's tests and `make dev`, and is never shipped in the operator binary. No
// Pulumi service was reached to write it.
package pulumifake
