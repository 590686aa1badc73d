// Command snippetcheck dry-run-creates every object of the external-secrets.io and
// generators.external-secrets.io groups found in a folder of manifests (server-side,
// dryRun=All) and compares the spec the API server returns with the spec that was written,
// as unstructured JSON. It reports each path lost or changed, and separately each path the
// server added (defaults), so that a schema or conversion webhook that drops a field is seen.
//
//	go run ./hack/snippetcheck -kubeconfig "$KUBECONFIG" -dir /tmp/manifests [-namespace default]
//
// Documents of other groups (Deployments, Helm values, JSON dashboards) are counted as
// skipped. Namespaced objects are created in -namespace whatever namespace they name, so
// that a manifest's namespace need not exist; an object without a name gets a generated one.
// It exits 1 when an object was refused or lost
// a field.
package main
