// Package schema holds the schema compatibility test between Ferry's generated CRDs and the
// inventory of External Secrets Operator's fields kept in testdata.
//
// Each served version (v1, v1beta1, v1alpha1) is compared with the inventory of that version.
// The test reads the CRD YAML files produced by `make generate`; it must not generate them,
// edit them or talk to an API server. When it fails, fix the markers in
// api/externalsecrets/<version> and regenerate, rather than loosening the comparison.
package schema
