package shard

import (
	"fmt"
	"testing"
)

// The shard of an object must not change between Ferry versions: a rolling upgrade would
// otherwise have two versions work on the same object under different shard numbers.
func TestOfIsStable(t *testing.T) {
	for _, tc := range []struct {
		by              KeyBy
		namespace, name string
		want            int
	}{
		{ByNamespace, "default", "db", 14},
		{ByNamespace, "default", "other", 14},
		{ByNamespace, "team-a", "db", 35},
		{ByNamespaceName, "default", "db", 5},
		{ByNamespaceName, "default", "other", 9},
	} {
		if got := Of(tc.by, 64, tc.namespace, tc.name); got != tc.want {
			t.Errorf("Of(%s, 64, %q, %q) = %d, want %d", tc.by, tc.namespace, tc.name, got, tc.want)
		}
	}
}

// Namespaces named alike (ns-1, ns-2, …) must spread over the shards, not cluster.
func TestOfSpreadsSimilarNames(t *testing.T) {
	const count, namespaces = 64, 6400
	per := make([]int, count)
	for i := range namespaces {
		per[Of(ByNamespace, count, fmt.Sprintf("ns-%d", i), "")]++
	}
	for s, n := range per {
		// Expected 100 each; a binomial's standard deviation here is about 10.
		if n < 60 || n > 140 {
			t.Errorf("shard %d got %d of %d namespaces, want about %d", s, n, namespaces, namespaces/count)
		}
	}
}

func members(set, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("ferry-%d-replica-%d-%x", set, i, set*7919+i))
	}
	return out
}

func loads(owners []string) map[string]int {
	out := map[string]int{}
	for _, o := range owners {
		out[o]++
	}
	return out
}

// Every member owns its fair share to within one shard, whatever the members' names.
func TestAssignIsBalanced(t *testing.T) {
	for set := range 200 {
		for _, n := range []int{1, 2, 3, 4, 7} {
			ms := members(set, n)
			owners := Assign(64, ms)
			got := loads(owners)
			if got[""] != 0 {
				t.Fatalf("%d shards without owner among %v", got[""], ms)
			}
			for _, m := range ms {
				if got[m] < 64/n || got[m] > (64+n-1)/n {
					t.Errorf("member %s of %d owns %d of 64 shards, want %d or %d", m, n, got[m], 64/n, (64+n-1)/n)
				}
			}
		}
	}
}

// The order in which members are listed does not matter.
func TestAssignIgnoresOrder(t *testing.T) {
	ms := members(1, 4)
	a := Assign(64, ms)
	b := Assign(64, []string{ms[3], ms[1], ms[0], ms[2]})
	for s := range a {
		if a[s] != b[s] {
			t.Fatalf("shard %d: %s with one order, %s with another", s, a[s], b[s])
		}
	}
}

// A fourth member takes a quarter of the shards; a few more move between the other three
// (the price of the bound on load), never more than half as many again.
func TestAssignAddMemberMovesAboutAQuarter(t *testing.T) {
	total := 0
	const sets = 500
	for set := range sets {
		ms := members(set, 4)
		before, after := Assign(64, ms[:3]), Assign(64, ms)
		moved, toNew := 0, 0
		for s := range before {
			if before[s] != after[s] {
				moved++
				if after[s] == ms[3] {
					toNew++
				}
			}
		}
		if toNew != 16 {
			t.Errorf("set %d: the new member took %d shards, want 16", set, toNew)
		}
		if moved > 24 {
			t.Errorf("set %d: %d of 64 shards moved, want at most 24", set, moved)
		}
		total += moved
	}
	if mean := float64(total) / sets; mean > 20 {
		t.Errorf("on average %.1f of 64 shards moved, want about 16 and at most 20", mean)
	}
}

// Removing a member moves only that member's shards.
func TestAssignRemoveMemberMovesOnlyItsShards(t *testing.T) {
	for set := range 200 {
		ms := members(set, 4)
		before, after := Assign(64, ms), Assign(64, ms[:3])
		moved := 0
		for s := range before {
			if before[s] != after[s] {
				moved++
			}
		}
		// The bound on load may move a few more, as when adding.
		if moved < 16 || moved > 24 {
			t.Errorf("set %d: %d shards moved when a member of 4 left, want 16 to 24", set, moved)
		}
	}
}
