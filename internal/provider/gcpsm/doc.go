// Package gcpsm is the Google Cloud Secret Manager provider: it reads secret versions by
// name (global or regional), their labels and annotations, finds secrets by name and
// labels, and pushes values for PushSecret, through the official Go client.
//
// It authenticates with a service account key from a Secret, with GKE workload identity
// (a ServiceAccount token exchanged at STS, then for the GCP service account's token), or
// with the pod's default credentials. It must not put a secret value or a credential in
// an error or a log line.
package gcpsm
