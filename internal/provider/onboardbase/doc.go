// Package onboardbase is Ferry's provider for Onboardbase (spec.provider.onboardbase): it
// reads the secrets of one project environment over Onboardbase's public REST API
// (GET {apiHost}/secrets?project=…&environment=…, authenticated by the API_KEY header) with
// net/http, and finds them by name. It only reads, as ESO's provider does.
//
// Onboardbase answers with the whole environment, every name and value encrypted with the
// API key's passcode in the OpenSSL/CryptoJS "Salted__" AES format; this package decrypts
// them (cryptojs.go) and serves them as one document, so the fetcher reads an environment
// once per refresh however many ExternalSecrets read from it (flatscope.Batch).
//
// It must not put a secret value, the API key or the passcode in an error or a log line,
// and it writes nothing to Onboardbase.
package onboardbase
