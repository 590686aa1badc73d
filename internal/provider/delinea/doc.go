// Package delinea is the Delinea DevOps Secrets Vault (DSV) provider: it reads a secret's
// data, a property of it, or its attributes, over DSV's REST API with a plain net/http
// client.
//
// It authenticates with a client id and secret (the client_credentials grant), keeps the
// access token per client and replaces it before it expires. It must not put a secret
// value, the client secret or a token in an error or a log line.
package delinea
