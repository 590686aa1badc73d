package rollout

import (
	"context"
	"fmt"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ferryhq/ferry/internal/cacheview"
)

// sourceEvents hands each change of a Secret or ConfigMap to the controllers of every
// workload kind, through one listener per informer. A listener per kind and informer, as
// each controller's own watch would register, buffers every notification of the informer
// once per kind (at 10,000 unmanaged Secrets, five buffers of 10,000 at start, kept at that
// size) and maps each change once per kind in a goroutine of its own.
type sourceEvents struct {
	mu    sync.Mutex
	kinds []kindQueue
}

type kindQueue struct {
	kr    *kindReconciler
	queue workqueue.TypedRateLimitingInterface[reconcile.Request]
}

// source returns the watch that registers kr's queue when its controller starts. Changes
// before then are not lost: a controller's first reconcile of each workload reads its
// sources as they are.
func (e *sourceEvents) source(kr *kindReconciler) source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.kinds = append(e.kinds, kindQueue{kr: kr, queue: q})
		return nil
	})
}

// watch listens to the informer of obj in c, whose objects are sources of kind.
func (e *sourceEvents) watch(ctx context.Context, c any, obj client.Object, kind SourceKind) error {
	informer, _, err := cacheview.Indexer(ctx, c, obj)
	if err != nil {
		return err
	}
	if informer == nil {
		return fmt.Errorf("watching %T: not a cache", obj)
	}
	changed := func(o any) {
		if tombstone, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = tombstone.Obj
		}
		if obj, ok := o.(client.Object); ok {
			// The index is read in place, or listed from a cache: no request leaves.
			e.changed(context.Background(), obj.GetNamespace(), Ref{Kind: kind, Name: obj.GetName()})
		}
	}
	_, err = informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    changed,
		UpdateFunc: func(_, o any) { changed(o) },
		DeleteFunc: changed,
	})
	return err
}

// changed queues, in each kind's controller, the workloads that may watch the source.
func (e *sourceEvents) changed(ctx context.Context, namespace string, ref Ref) {
	e.mu.Lock()
	kinds := e.kinds
	e.mu.Unlock()
	for _, k := range kinds {
		for _, req := range k.kr.watchersOf(ctx, namespace, ref) {
			k.queue.Add(req)
		}
	}
}
