// Package yandex is Ferry's provider for two Yandex Cloud services that External Secrets
// Operator serves: Lockbox (spec.provider.yandexlockbox), whose secrets are sets of text or
// binary entries, and Certificate Manager (spec.provider.yandexcertificatemanager), whose
// certificates give a PEM chain and private key. Both read one secret or certificate by ID,
// or by name within a folder, as ESO reads them.
//
// It speaks Yandex Cloud's public gRPC API with the generated stubs of go-genproto, and
// nothing of Yandex's SDK: it learns each service's address from the API endpoint service
// at the store's apiEndpoint, signs a PS256 JWT with the authorized key of a service account
// and exchanges it at IAM for an IAM token, which it keeps per key for every store that
// uses the key, and replaces before it expires.
//
// It only reads, as ESO's providers do. It must not put an entry's value, the private key
// or a token in an error or a log line.
package yandex
