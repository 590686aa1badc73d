// Package conjurfake is an in-process stand-in for a CyberArk Conjur server, written from
// Conjur's public REST API reference: the authn, authn-jwt and authn-cert login endpoints,
// variable reads (with versions and the batch form), the resource listing and whoami, with
// Conjur's path encoding, Authorization header and error bodies. It serves TLS on 127.0.0.1
// only, for Ferry's tests and `make dev`, and is never shipped in the operator binary. No
// Conjur server was reached to write it.
package conjurfake
