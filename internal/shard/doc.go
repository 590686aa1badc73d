// Package shard splits Ferry's namespaced work between active replicas.
//
// Objects fall into a fixed number of shards by a stable hash of their namespace (or
// namespace and name); shards are assigned to the live replicas by rendezvous hashing with
// bounded loads. Every replica announces itself with a member Lease, and works on a shard
// only while it holds that shard's Lease with margin: it stops at the renew deadline, before
// any other replica may take the Lease (at the lease duration, measured on the taker's own
// clock from when it last saw the Lease change). A shard that moves is released by its old
// owner only after its in-flight reconciles have ended.
//
// It must not decide anything about an object beyond "is its shard mine now": the
// controllers keep their own logic, and a Gate that is nil shards nothing.
package shard
