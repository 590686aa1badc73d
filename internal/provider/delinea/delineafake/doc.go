// Package delineafake is an in-process stand-in for a Delinea DevOps Secrets Vault (DSV)
// tenant, written from DSV's public REST API reference: the token endpoint
// (client_credentials grant, JSON body) and secret reads by path with a bearer token, with
// DSV's JSON shapes and error bodies. It serves the URL template
// <server>/<tenant>/<tld>/v1/<resource><path> on 127.0.0.1 only, for Ferry's tests and
// `make dev`, and is never shipped in the operator binary. No DSV tenant was reached to
// write it.
package delineafake
