// Package dopplerfake is an in-process stand-in for Doppler's API (v3), written from
// Doppler's public API reference: bearer or basic token auth, the config download (json
// and env formats, the secrets filter, name transformers), the secrets update with
// change_requests, the OIDC exchange of service account identities, and
// {"messages":[...],"success":false} error bodies. It serves over TLS on 127.0.0.1 only,
// for Ferry's tests and `make dev`, and is never shipped in the operator binary. No Doppler
// service was reached to write it.
package dopplerfake
