// Package rollout restarts workloads (Deployments, StatefulSets, DaemonSets) when the Secrets
// and ConfigMaps they use change, for workloads that opt in with stakater Reloader's
// annotations or Ferry's own equivalents (docs/rollout.md).
//
// It reconciles the workload, not the Secret: it computes which objects the workload
// watches, reads their data, and compares keyed digests with the ones recorded on the
// workload. A restart is a patch of one pod-template annotation whose value is a keyed
// digest of that data, so the same data always gives the same value and a re-list, a Ferry
// restart or a leader change rolls nothing. A workload seen for the first time is recorded,
// never restarted.
//
// It must not hold the data of Secrets it does not manage: Secrets labelled as managed by
// an ExternalSecret come from the manager's cache, every other Secret and every ConfigMap
// is watched through a metadata-only cache and read on demand, only when an opted-in
// workload uses it. Secret values never reach a log line, an event or a metric.
package rollout
