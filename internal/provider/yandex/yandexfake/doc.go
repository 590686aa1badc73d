// Package yandexfake is an in-process Yandex Cloud: the API endpoint service, IAM's token
// service, Lockbox's payload service and Certificate Manager's content service, each the
// generated gRPC service of go-genproto, on loopback over TLS with a CA made at start,
// answering as Yandex's API reference documents. It serves on 127.0.0.1 only, for Ferry's
// tests and `make dev`, and is never shipped in the operator binary. No Yandex Cloud service
// was reached to write it.
package yandexfake
