// Package testenv starts the real components Ferry's tests run against: a kube-apiserver
// and etcd (through controller-runtime's envtest, from binaries built by hack/tools.sh) and
// moto_server for AWS and a Vault dev server, behind counting proxies. Servers bind to
// 127.0.0.1 on free ports.
//
// It is imported by tests and by the developer environment (hack/devenv) only; code that
// ships in the ferry binary must not import it.
package testenv
