// Package resilience proves that Ferry keeps working, and loses nothing, when what it
// depends on fails: the provider goes down, throttles or slows down, and the API server
// restarts in the middle of a sync. The tests run the operator in-process against a real
// kube-apiserver and etcd, with moto as AWS behind testenv.FaultProxy, which injects the
// faults. Faults that need real processes (leader election with kill -9, a kill in the
// middle of a write) are in test/e2e.
package resilience
