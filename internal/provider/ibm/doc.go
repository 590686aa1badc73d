// Package ibm is Ferry's provider for IBM Cloud Secrets Manager (spec.provider.ibm): it
// reads the secrets of one Secrets Manager instance, by ID or by group, type and name, over
// the service's v2 REST API with net/http, as External Secrets Operator reads them: each
// secret type (arbitrary, username_password, iam_credentials, service_credentials,
// imported_cert, public_cert, private_cert, kv, custom_credentials) gives the fields ESO
// gives for it.
//
// It authenticates through IBM Cloud IAM: an API key read from a Secret, or a compute
// resource token read from a file of Ferry's pod and exchanged for a trusted profile. The
// IAM access token is kept per client and replaced before it expires.
//
// It must not put a secret value, the API key or a token in an error or a log line.
package ibm
