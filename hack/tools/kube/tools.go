//go:build tools

// Package kube pins the Kubernetes control-plane binaries used by the tests.
package kube

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
