package shard

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestFilter: the wrapped reconciler runs only for objects of held shards; acquiring shards
// enqueues their objects; losing them forgets their objects.
func TestFilter(t *testing.T) {
	s := runtime.NewScheme()
	if err := coordinationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	var objects []client.Object
	for i := range 40 {
		objects = append(objects, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns-%d", i), Name: "cm"}})
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objects...).Build()
	a := newGate(t, c, "a")
	filter, err := a.Filter(c, s, &corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	forgotten := map[types.NamespacedName]bool{}
	filter.OnLost(func(k types.NamespacedName) {
		mu.Lock()
		defer mu.Unlock()
		forgotten[k] = true
	})
	reconciled := map[types.NamespacedName]bool{}
	rec := filter.Reconciler(reconcile.Func(func(_ context.Context, req reconcile.Request) (reconcile.Result, error) {
		reconciled[req.NamespacedName] = true
		return reconcile.Result{}, nil
	}))
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := filter.Source().Start(ctx, q); err != nil {
		t.Fatal(err)
	}

	// Nothing held: nothing reconciled.
	key := types.NamespacedName{Namespace: "ns-0", Name: "cm"}
	if _, err := rec.Reconcile(ctx, reconcile.Request{NamespacedName: key}); err != nil || reconciled[key] {
		t.Fatalf("reconciled %s before holding its shard (err %v)", key, err)
	}
	// A request dropped for a shard not held forgets the object (with sharded caches, the
	// deletions of a lost shard's objects come this way).
	mu.Lock()
	if !forgotten[key] {
		t.Errorf("%s, dropped for a shard not held, was not forgotten", key)
	}
	clear(forgotten)
	mu.Unlock()

	// a holds every shard: every object is enqueued, and reconciles.
	until(t, 2*time.Second, func() bool { return len(a.heldShards()) == testCount }, a)
	waitLen(t, q, len(objects))
	for q.Len() > 0 {
		req, _ := q.Get()
		if _, err := rec.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
		q.Done(req)
	}
	if len(reconciled) != len(objects) {
		t.Errorf("%d objects reconciled after acquiring every shard, want %d", len(reconciled), len(objects))
	}

	// b takes half the shards: a forgets exactly the objects of those.
	b := newGate(t, c, "b")
	until(t, 3*time.Second, func() bool { return len(b.heldShards()) == testCount/2 }, a, b)
	want := map[types.NamespacedName]bool{}
	for _, o := range objects {
		if _, mine := a.heldShards()[a.ShardOf(o.GetNamespace(), o.GetName())]; !mine {
			want[client.ObjectKeyFromObject(o)] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("no object moved to b; the test checks nothing")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		same := len(forgotten) == len(want)
		for k := range forgotten {
			same = same && want[k]
		}
		got := len(forgotten)
		mu.Unlock()
		if same {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a forgot %d objects, want exactly the %d of the shards b took", got, len(want))
		}
		time.Sleep(testRetry)
	}
	// And a reconciles them no more.
	for k := range want {
		delete(reconciled, k)
		if _, err := rec.Reconcile(ctx, reconcile.Request{NamespacedName: k}); err != nil || reconciled[k] {
			t.Errorf("a reconciled %s after b took its shard (err %v)", k, err)
		}
	}
}

func waitLen(t *testing.T, q workqueue.TypedRateLimitingInterface[reconcile.Request], n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for q.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests enqueued, want %d", q.Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
