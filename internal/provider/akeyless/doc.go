// Package akeyless is Ferry's provider for Akeyless (spec.provider.akeyless): it reads
// static, dynamic and rotated secrets and certificates, by name and version, and finds
// secrets by name, path and tag, over Akeyless's REST API (v2: one POST per command, the
// token in the JSON body) with net/http, against api.akeyless.io or a customer gateway.
//
// It logs in with an access id and key (api_key, access_key) or with a Kubernetes
// ServiceAccount token (k8s), keeps the token per client and replaces it before it
// expires. The cloud-identity access types (aws_iam, gcp, azure_ad) are refused, by field,
// not emulated. It must not put a secret value, an access key or a token in an error or a
// log line.
package akeyless
