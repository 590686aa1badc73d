// Package webhook is Ferry's provider for secrets served by any HTTP endpoint
// (spec.provider.webhook of a SecretStore or ClusterSecretStore).
//
// The store's url, headers, body and result.jsonPath are Go templates over .remoteRef
// (key, version and property, URL-escaped as External Secrets Operator does) and the keys
// of the Kubernetes Secrets the store lists under secrets (.<name>.<key>), with sprig's
// functions minus those that read the operator's environment or network. A 404 answer is
// "not found"; the value is the body, or what result.jsonPath selects in its JSON.
// Webhooks read one key at a time: dataFrom.find is not supported. A PushSecret sends
// the value to the same templated request (push.go), DELETE to delete. auth.ntlm sends
// every request through an NTLMv2 handshake (package ntlm) with a user name and password
// read from Secrets that carry the webhook label.
//
// This package must not log secret values or put them in errors (template errors are
// scrubbed of every value the templates can see, and response bodies are never quoted),
// and must read Secrets only through the helpers of internal/provider that enforce
// namespace rules.
package webhook
