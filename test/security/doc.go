// Package security proves the tenant boundaries and input handling a secrets operator owes
// its users: a namespaced SecretStore cannot reach another namespace through any field, a
// ClusterSecretStore serves only the namespaces its conditions select however it is
// referenced, templates cannot reach the operator's environment, files, DNS or tokens, a
// workload's rollout annotations reach only its own namespace, bad input (huge, malformed,
// NUL-bearing values) is refused clearly with nothing written, and known values are
// redacted from the messages Ferry writes. The tests run the operator in-process against a
// real kube-apiserver and etcd, with every provider registered as the binary does.
package security
