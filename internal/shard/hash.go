package shard

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
)

// KeyBy says what an object's shard is computed from.
type KeyBy string

const (
	// ByNamespace keeps a namespace's objects, and the SecretStores they read, on one
	// replica: the fetcher's clients and cached values are then not duplicated.
	ByNamespace KeyBy = "namespace"
	// ByNamespaceName spreads one large namespace over every replica.
	ByNamespaceName KeyBy = "namespace-name"
)

// ParseKeyBy reads the value of --shard-key.
func ParseKeyBy(s string) (KeyBy, error) {
	switch k := KeyBy(s); k {
	case ByNamespace, ByNamespaceName:
		return k, nil
	}
	return "", fmt.Errorf("--shard-key %q: want %q or %q", s, ByNamespace, ByNamespaceName)
}

// Of returns the shard, in [0, count), of the object namespace/name. It depends on nothing
// but its arguments, so every replica and the CLI agree on it.
func Of(by KeyBy, count int, namespace, name string) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(namespace))
	if by == ByNamespaceName {
		_, _ = h.Write([]byte{'/'})
		_, _ = h.Write([]byte(name))
	}
	return int(mix(h.Sum64()) % uint64(count)) //nolint:gosec // count is positive and small
}

// mix is splitmix64's finalizer: FNV alone leaves short, similar inputs (ns-1, ns-2, …)
// clustered in the low bits that the modulo keeps.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// score is member's rendezvous weight for shard.
func score(member string, shard int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(member))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(shard)) //nolint:gosec // shard is not negative
	_, _ = h.Write(b[:])
	return mix(h.Sum64())
}

// Assign returns the owner of each of count shards among members (index: shard; "" when
// there is no member). It is rendezvous hashing with bounded loads: (shard, member) pairs are
// taken by descending weight, and a member takes a shard while it holds fewer than its
// share (count/len(members), rounded down or up). Every member so owns its fair share;
// adding a member moves the shards it takes (count/len(members)) and, because the others'
// bound falls, a few more between the others. Plain rendezvous moves only the first kind
// but, at 64 shards over three replicas, leaves one replica more than 20% off its share in
// half of all member sets.
func Assign(count int, members []string) []string {
	owners := make([]string, count)
	if len(members) == 0 || count <= 0 {
		return owners
	}
	type pair struct {
		shard  int
		member string
		weight uint64
	}
	pairs := make([]pair, 0, count*len(members))
	for s := range count {
		for _, m := range members {
			pairs = append(pairs, pair{shard: s, member: m, weight: score(m, s)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(b.weight, a.weight); c != 0 {
			return c
		}
		if c := cmp.Compare(a.member, b.member); c != 0 {
			return c
		}
		return cmp.Compare(a.shard, b.shard)
	})
	// Every member may take floor(count/n) shards; the first count mod n members to reach
	// that take one more.
	floor, extra := count/len(members), count%len(members)
	load := make(map[string]int, len(members))
	for _, p := range pairs {
		if owners[p.shard] != "" || load[p.member] > floor || (load[p.member] == floor && extra == 0) {
			continue
		}
		if load[p.member] == floor {
			extra--
		}
		owners[p.shard] = p.member
		load[p.member]++
	}
	return owners
}
