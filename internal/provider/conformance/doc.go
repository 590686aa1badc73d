// Package conformance is the one test suite every provider runs against its real backend
// (moto for AWS, a Vault dev server, the test control plane for Kubernetes, an HTTP
// server on loopback for webhooks, the store's own data for fake).
//
// A provider's test describes its backend in a Backend (how to build a store, how to write
// a secret, what the backend supports) and calls Run. The suite then checks what every
// store user relies on, whatever the provider: reading a value, a property and a version,
// extracting and finding, that a missing secret and only a missing secret is
// provider.ErrNotFound, that errors never quote a value, that one client serves concurrent
// callers, and that a client authenticates once rather than once per call.
//
// It is imported by tests only.
package conformance
