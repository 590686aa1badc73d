// Package gcpsm is the Google Cloud Secret Manager provider: it reads secret versions by
// name (global or regional), their labels and annotations, finds secrets by name and
// labels, and pushes values for PushSecret, through the official Go client.
//
// It authenticates with a service account key from a Secret, with GKE workload identity
// (a ServiceAccount token exchanged at STS, then for the GCP service account's token),
// with workload identity federation (a ServiceAccount token, a credential configuration's
// file or URL, or a signed AWS request, exchanged at STS the same way), or with the pod's
// default credentials. It must not put a secret value or a credential in an error or a log
// line, send a subject token anywhere but Google's STS, or run a command a credential
// configuration names.
package gcpsm
