// Package fanout keeps one namespaced child object per selected namespace for a
// cluster-scoped parent: a ClusterExternalSecret's ExternalSecrets and a ClusterPushSecret's
// PushSecrets. The child is owned by its parent, shaped by it on every reconcile and
// removed from namespaces that stop matching; an object of the same name the parent does
// not own is never touched, and the namespace is reported as failed.
//
// What differs between the kinds (their types, how a child is shaped, how the status is
// written) is a Kind; the reconcile (select → ensure each child → remove the stale ones →
// one status patch) is written once here.
package fanout
