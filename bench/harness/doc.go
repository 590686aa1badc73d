// Package harness measures an operator that serves the external-secrets.io API at scale:
// it starts a local control plane (kube-apiserver and etcd) and moto, creates N
// ExternalSecrets over K AWS Secrets Manager keys, runs the operator under test as a
// command line, and reports cold start, steady state and rotation: times, provider calls
// counted at the server side, Kubernetes API requests counted at a proxy in front of the API
// server, writes, and the operator's peak resident memory. It also measures the floor: how
// long a bare client takes to create N Secrets at the same client QPS on this machine.
//
// Times are measurements of this machine and are reported, never asserted; tests of this
// package assert counts only. The harness reaches loopback servers only and stops what it
// starts.
package harness
