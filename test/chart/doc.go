// Package chart tests the Helm chart in deploy/charts/ferry: helm lint, helm template for the
// main value combinations, every rendered object sent to a real kube-apiserver, helm install
// against it, and the proof that the chart's RBAC is enough, and no more than needed, for what
// the real ferry binary does: the binary runs with the chart's ServiceAccount token and the
// chart's arguments, and syncs, restarts workloads and serves its webhooks under that identity.
//
// The control plane has no kubelet, so Pods never run; the binary runs next to the test.
package chart
