package shard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/testenv"
)

// replica is one gate with the cache it shards, against a real API server.
type replica struct {
	gate  *Gate
	cache cache.Cache
	stop  context.CancelFunc
}

func startReplica(t *testing.T, cp *testenv.ControlPlane, identity string) *replica {
	t.Helper()
	g, err := New(Options{Client: cp.Client, Namespace: "default", Group: "view-test", Identity: identity, Count: testCount,
		KeyBy: ByNamespace, LeaseDuration: testLease, RenewDeadline: testRenew, RetryPeriod: testRetry,
		Cached: func(gk schema.GroupKind) bool { return gk == schema.GroupKind{Kind: "ConfigMap"} }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cp.Config, cache.Options{Scheme: cp.Client.Scheme(), NewInformer: g.NewInformer(cp.Client.Scheme())})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	// As in the manager: the gate starts with the cache, whose first list waits for the
	// gate's first shards.
	gateDone := make(chan struct{})
	go func() {
		defer close(gateDone)
		_ = g.Start(ctx)
	}()
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	r := &replica{gate: g, cache: c, stop: func() { cancel(); <-gateDone }}
	t.Cleanup(r.stop)
	return r
}

// cached returns the names ("namespace/name") of the test's ConfigMaps in r's cache.
func (r *replica) cached(t *testing.T, label string) map[string]bool {
	t.Helper()
	var list corev1.ConfigMapList
	if err := r.cache.List(context.Background(), &list, client.MatchingLabels{"view-test": label}); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, cm := range list.Items {
		out[cm.Namespace+"/"+cm.Name] = true
	}
	return out
}

// ofShards returns the names of objects whose namespace falls in the shards held.
func (r *replica) ofShards(all []string) map[string]bool {
	held := r.gate.heldShards()
	out := map[string]bool{}
	for _, key := range all {
		ns, _, _ := strings.Cut(key, "/")
		if _, ok := held[r.gate.ShardOf(ns, "")]; ok {
			out[key] = true
		}
	}
	return out
}

// admittedHasObjects fails the test if r works on a shard whose objects (of all, which
// must have been created long enough ago to be in every watch) its cache does not hold:
// work on an acquired shard waits for the cache.
func admittedHasObjects(t *testing.T, r *replica, all []string, label string) {
	t.Helper()
	want := r.ofShards(all)
	got := r.cached(t, label)
	for key := range want {
		if !got[key] {
			t.Fatalf("%s works on the shard of %s, which its cache does not hold yet", r.gate.Identity(), key)
		}
	}
}

// TestShardedCache: an informer built by Gate.NewInformer holds only the objects of the
// namespaces whose shards its replica holds, from its list and its watch; when shards move,
// the objects of acquired shards arrive before work on them starts, and those of lost
// shards leave.
func TestShardedCache(t *testing.T) {
	cp, err := testenv.StartControlPlane()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	ctx := context.Background()
	label := fmt.Sprint(time.Now().UnixNano())
	var all []string
	create := func(ns, name string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"view-test": label}}}
		if err := cp.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
		all = append(all, ns+"/"+name)
	}
	var namespaces []string
	for range 24 {
		ns := testenv.Namespace(t, cp.Client, nil)
		namespaces = append(namespaces, ns)
		create(ns, "first")
	}

	first := slices.Clone(all)

	a := startReplica(t, cp, "a")
	// Alone, a takes every shard, and then caches every object.
	testenv.Eventually(t, 10*time.Second, "a holds every shard and caches every object", func() (bool, error) {
		admittedHasObjects(t, a, first, label)
		return len(a.gate.heldShards()) == testCount && len(a.cached(t, label)) == len(all), nil
	})

	// b joins: each caches exactly the objects of its own shards, and never works on a
	// shard before its cache holds that shard's objects.
	b := startReplica(t, cp, "b")
	split := func(what string) {
		t.Helper()
		// Lost shards' objects leave after shrinkDelay and the reflector's back-off.
		testenv.Eventually(t, time.Minute, what, func() (bool, error) {
			admittedHasObjects(t, a, first, label)
			admittedHasObjects(t, b, first, label)
			na, nb := len(a.gate.heldShards()), len(b.gate.heldShards())
			return na+nb == testCount && na == nb &&
				maps.Equal(a.cached(t, label), a.ofShards(all)) && maps.Equal(b.cached(t, label), b.ofShards(all)), nil
		})
	}
	split("a and b split the shards and cache exactly their objects")
	if len(a.cached(t, label)) == 0 || len(b.cached(t, label)) == 0 {
		t.Fatal("one replica caches nothing: the namespaces all fell in the other's shards, the test checks nothing")
	}

	// New objects reach the cache of their shard's holder only, by the watch.
	for _, ns := range namespaces {
		create(ns, "second")
	}
	split("the new objects reached the caches of their shards' holders only")

	// b stops: a takes its shards back, and caches every object again.
	b.stop()
	testenv.Eventually(t, time.Minute, "a holds every shard again and caches every object", func() (bool, error) {
		admittedHasObjects(t, a, first, label)
		return len(a.gate.heldShards()) == testCount && len(a.cached(t, label)) == len(all), nil
	})
	if got := slices.Sorted(maps.Keys(a.cached(t, label))); len(got) != len(all) {
		t.Errorf("a caches %d objects, want %d", len(got), len(all))
	}
}
