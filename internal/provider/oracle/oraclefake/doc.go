// Package oraclefake is an in-process stand-in for Oracle Cloud Infrastructure, written from OCI's public API
// reference: three services, each on its own server as each has its own host in a region,
// that verify OCI's HTTP signature (version 1, rsa-sha256, with the signed headers OCI
// requires and a Date within five minutes) against the public key of the keyId, and answer
// with OCI's JSON models and {"code", "message"} error bodies:
//   - Secrets: GET /20190301/secretbundles/actions/getByName?secretName=&vaultId=
//     [&stage=|&versionNumber=];
//   - Vault: GET /20180608/secrets?compartmentId=&vaultId=[&limit=&page=], paged with
//     opc-next-page;
//   - Key Management: GET /20180608/vaults/{vaultId};
//   - Auth: POST /v1/x509, the X.509 federation that issues an instance's security token
//     beside an instance metadata service (v2) and OKE's workload
//     identity endpoint (proxymux).
//
// A keyId "ST$<token>" is a security token the auth server issued, accepted with the
// session key it was issued for until its exp.
//
// It serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in
// the operator binary. No OCI service was reached to write it.
package oraclefake
