package shard

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ferryhq/ferry/internal/cacheview"
)

// Filter confines one controller to the objects of this replica's shards: Reconciler wraps
// its reconciler, Source is one more watch that enqueues a shard's objects when the shard is
// acquired (their events were dropped while another replica owned them).
type Filter struct {
	gate    *Gate
	kind    string
	reader  client.Reader
	obj     client.Object // an object of the kind, to find its informer in reader
	newList func() client.ObjectList
	signal  chan struct{}

	mu      sync.Mutex
	flushed map[int]uint64 // shard → epoch whose objects were enqueued
	forget  func(types.NamespacedName)
}

// OnLost sets what to drop of an object whose shard this replica lost (its metric series,
// what the fetcher remembers of its reads): the new owner keeps them now.
func (f *Filter) OnLost(forget func(types.NamespacedName)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forget = forget
}

// Filter returns the filter of a controller of obj's kind, whose objects reader (the
// manager's cache) lists.
func (g *Gate) Filter(reader client.Reader, scheme *runtime.Scheme, obj client.Object) (*Filter, error) {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, err
	}
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	newList := func() client.ObjectList {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(listGVK)
		return l
	}
	if _, unstructuredKind := obj.(*unstructured.Unstructured); !unstructuredKind {
		if _, err := scheme.New(listGVK); err != nil {
			return nil, fmt.Errorf("no list type for %s: %w", gvk.Kind, err)
		}
		newList = func() client.ObjectList {
			l, _ := scheme.New(listGVK)
			return l.(client.ObjectList)
		}
	}
	f := &Filter{gate: g, kind: gvk.Kind, reader: reader, obj: obj.DeepCopyObject().(client.Object), newList: newList, signal: make(chan struct{}, 1), flushed: map[int]uint64{}}
	g.mu.Lock()
	g.filters = append(g.filters, f)
	g.mu.Unlock()
	return f, nil
}

// Reconciler returns inner, called only for objects of the shards this replica holds, under
// a context that ends when the shard is lost.
func (f *Filter) Reconciler(inner reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		s := f.gate.ShardOf(req.Namespace, req.Name)
		work, done, ok := f.gate.begin(ctx, s)
		if !ok {
			// Another replica's, or nobody's until a hand-off ends. With sharded caches the
			// objects of a lost shard leave the cache as deletions, which come here: what this
			// replica remembers of them goes too (the new owner keeps it now), even when the
			// cache no longer had them when the loss was noticed.
			if !f.gate.holds(s) {
				f.mu.Lock()
				forget := f.forget
				f.mu.Unlock()
				if forget != nil {
					forget(req.NamespacedName)
				}
			}
			return reconcile.Result{}, nil
		}
		defer f.gate.end(s)
		defer done()
		res, err := inner.Reconcile(work, req)
		if err != nil && work.Err() != nil && ctx.Err() == nil {
			// The shard was lost mid-way; its new owner starts over.
			ctrl.LoggerFrom(ctx).V(1).Info("Reconcile stopped: shard lost", "shard", s)
			return reconcile.Result{}, nil
		}
		return res, err
	})
}

// Source enqueues, on every acquisition of a shard, the objects of that shard.
func (f *Filter) Source() source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		go f.run(ctx, q)
		f.wake()
		return nil
	})
}

func (f *Filter) wake() {
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

func (f *Filter) run(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.signal:
		}
		if err := f.enqueueAcquired(ctx, q); err != nil && ctx.Err() == nil {
			ctrl.LoggerFrom(ctx).Error(err, "Enqueueing the objects of acquired shards failed", "kind", f.kind)
			f.wake() // the next signal retries; a failed cache read is rare
		}
	}
}

// enqueueAcquired enqueues the objects of the shards acquired since the last call, and
// forgets those of the shards lost since.
func (f *Filter) enqueueAcquired(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	held := f.gate.heldShards()
	f.mu.Lock()
	fresh, lost := map[int]uint64{}, map[int]bool{}
	for s, epoch := range held {
		if f.flushed[s] != epoch {
			fresh[s] = epoch
		}
	}
	for s := range f.flushed {
		if _, ok := held[s]; !ok {
			lost[s] = true
		}
	}
	forget := f.forget
	f.mu.Unlock()
	if len(fresh) == 0 && len(lost) == 0 {
		return nil
	}
	keys, err := f.list(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		s := f.gate.ShardOf(k.Namespace, k.Name)
		if _, ok := fresh[s]; ok {
			q.Add(reconcile.Request{NamespacedName: k})
		}
		if lost[s] && forget != nil {
			forget(k)
		}
	}
	f.mu.Lock()
	for s, epoch := range fresh {
		f.flushed[s] = epoch
	}
	for s := range lost {
		delete(f.flushed, s)
	}
	f.mu.Unlock()
	return nil
}

// list returns the names of the kind's objects in the cache: the informer's own keys where
// the reader shows its informers' indexers, with no object copied (the metrics call this at
// every scrape, and a List copied each object of the kind into the list every time).
func (f *Filter) list(ctx context.Context) ([]types.NamespacedName, error) {
	if keys, ok := f.informerKeys(ctx); ok {
		return keys, nil
	}
	list := f.newList()
	if err := f.reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing %s: %w", f.kind, err)
	}
	var keys []types.NamespacedName
	err := meta.EachListItem(list, func(o runtime.Object) error {
		m, err := meta.Accessor(o)
		if err != nil {
			return err
		}
		keys = append(keys, types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()})
		return nil
	})
	return keys, err
}

// informerKeys returns the keys of the kind's informer, if reader is a cache that has one
// and shows its indexer.
func (f *Filter) informerKeys(ctx context.Context) ([]types.NamespacedName, bool) {
	_, indexer, err := cacheview.Indexer(ctx, f.reader, f.obj)
	if err != nil || indexer == nil {
		return nil, false
	}
	raw := indexer.ListKeys()
	keys := make([]types.NamespacedName, 0, len(raw))
	for _, k := range raw {
		namespace, name, err := toolscache.SplitMetaNamespaceKey(k)
		if err != nil {
			continue
		}
		keys = append(keys, types.NamespacedName{Namespace: namespace, Name: name})
	}
	return keys, true
}

// owned counts the kind's objects in the cache, and those of them in the shards this
// replica holds.
func (f *Filter) owned(ctx context.Context) (owned, cached int, err error) {
	held := f.gate.heldShards()
	keys, err := f.list(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, k := range keys {
		if _, ok := held[f.gate.ShardOf(k.Namespace, k.Name)]; ok {
			owned++
		}
	}
	return owned, len(keys), nil
}
