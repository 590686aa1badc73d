// Package ocicert reads what OCI's X.509 federation needs from an instance certificate: the
// tenancy it names and its SHA-256 fingerprint. The provider signs with them and the
// in-process OCI (oraclefake) checks them; it holds no keys and makes no calls.
package ocicert
