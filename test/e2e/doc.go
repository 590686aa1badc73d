// Package e2e runs user scenarios across real components: the ferry binary built from this
// tree, a real kube-apiserver and etcd, kubectl, and moto_server standing in for AWS. The
// seed walkthrough comes first. Tests here drive Ferry only as a user would: manifests
// applied with kubectl, values changed at the provider, results read from the API.
package e2e
