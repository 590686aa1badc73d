// Package akeyless is Ferry's provider for Akeyless (spec.provider.akeyless): it reads
// static, dynamic and rotated secrets and certificates, by name and version, finds secrets
// by name, path and tag, and pushes static secrets (only over items tagged as ESO tags
// them), over Akeyless's REST API (v2: one POST per command, the token in the JSON body)
// with net/http, against api.akeyless.io or a customer gateway.
//
// It logs in with an access id and key (api_key, access_key), a Kubernetes ServiceAccount
// token (k8s), or the cloud identity of Ferry's pod (aws_iam: an STS GetCallerIdentity
// request signed with the AWS SDK's default credentials; azure_ad: the managed identity's
// token from Azure's instance metadata service, or an Entra ID token traded for a
// ServiceAccount's through Azure Workload Identity; gcp: an identity token from GCP's
// metadata server), keeps the token per client and replaces it before it expires. It must not put a
// secret value, an access key or a token in an error or a log line.
package akeyless
