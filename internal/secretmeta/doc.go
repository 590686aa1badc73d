// Package secretmeta caches the metadata of the Secrets Ferry does not manage, once for all
// the controllers that react to their changes: PushSecrets that read a source Secret, and
// workloads that restart when one changes. Without it each kept its own copy of every such
// Secret in the cluster.
//
// It must not hold a Secret's data, nor any annotation its users do not ask for:
// kubectl's last-applied-configuration, among them, holds a Secret's data.
package secretmeta
