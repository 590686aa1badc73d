// Package rollout restarts workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs
// and Argo Rollouts) when the Secrets and ConfigMaps they use change, or, with the CSI
// integration, when the Secrets Store CSI driver reports new versions of a
// SecretProviderClass they mount, for workloads that opt in with stakater Reloader's
// annotations or Ferry's own equivalents (docs/rollout.md).
//
// It reconciles the workload, not the Secret: it computes which objects the workload
// watches, reads their data (only the keys the workload uses, when it uses some keys only),
// and compares keyed digests with the ones recorded on the workload. A restart is a patch of
// the pod template (one annotation whose value is a keyed digest of that data, or Reloader's
// environment variables with keyed digests as values), so the same data always gives the
// same template and a re-list, a Ferry restart or a leader change rolls nothing. A
// workload seen for the first time is recorded, never restarted. A SecretProviderClass is
// digested from the object versions its SecretProviderClassPodStatuses report, never from
// mounted files, and only once every pod mounting it agrees (classVersions).
//
// It must not hold the data of Secrets it does not manage: Secrets labelled as managed by
// an ExternalSecret come from the manager's cache, every other Secret and every ConfigMap
// is watched through a metadata-only cache and read on demand, only when an opted-in
// workload uses it. Jobs are watched as metadata too. Secret values never reach a log line,
// an event, an alert or a metric.
package rollout
