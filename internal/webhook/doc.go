// Package webhook serves Ferry's admission and conversion webhooks: validation of
// ExternalSecrets and stores (the same checks the controllers apply), conversion between the
// served API versions, and the serving certificates — a CA and a serving certificate kept in
// a Secret, rotated before expiry, with the CA bundle injected into the CRDs and the
// ValidatingWebhookConfiguration. With external certificates (cert-manager), it serves
// what it is given and injects nothing.
//
// It must never put a secret value in an admission response, a log or an event.
package webhook
