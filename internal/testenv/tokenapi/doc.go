// Package tokenapi runs, in process on 127.0.0.1, small servers that speak the wire
// protocols of the services Ferry's generators obtain tokens from: GitHub's App
// installation tokens, GitLab's deploy tokens, Grafana's service-account tokens, Quay's
// robot federation, Cloudsmith's OIDC exchange and Amazon ECR Public's authorization
// tokens (which moto does not emulate). The servers that trade Kubernetes
// ServiceAccount tokens verify them as a federated service does, with the OIDC keys the
// test's kube-apiserver publishes (KubeIssuer), and serve TLS that TLSClient trusts.
//
// Each follows the vendor's public API reference (paths, methods, headers, JSON fields,
// status codes, error bodies) and checks what the real service checks that a client could
// get wrong: signatures, expiry, authentication, required fields. They record what they
// issued so tests can compare it with the bytes in a Secret.
//
// They are not the real services: passing against them says Ferry speaks the documented
// protocol, not that the service behaves exactly so. Tests only; nothing that ships in the
// ferry binary may import this package.
package tokenapi
