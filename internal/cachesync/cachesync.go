// Package cachesync makes the waits for a controller-runtime cache to sync end when it has,
// not at the next of the 100 ms polls of controller-runtime and client-go.
//
// A controller starts once the caches it reads have synced, and its workers once each of its
// watches has handed its event handler the informer's initial list. controller-runtime waits
// for both by asking every 100 ms (client-go's WaitForCacheSync), and the waits come one
// after the other: the manager's caches, then each controller's sources. At an operator's
// start that was 0.2 to 0.3 s of waiting on things already done (bench/RESULTS.md). Informers
// and handler registrations close a channel when they sync (client-go's DoneChecker); a Cache
// waits on those.
//
// What it relies on: a source.Kind gets its informer from the cache, adds its handler, asks
// the cache to WaitForCacheSync and then checks its handler's registration once before it
// polls. A Cache's WaitForCacheSync also waits for the registrations added through it, so
// that one check finds them done. Should controller-runtime change that order, the sources
// poll as before: only their start is slower, nothing else changes. The wait covers every
// handler added through the cache, not only the caller's: a handler slow to take its initial
// list would hold back the sources that start meanwhile (Ferry's handlers only queue).
package cachesync

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// recheck bounds each wait on one channel: what will never sync (an informer stopped, a
	// handler removed) never closes its channel, and is let go at the next look.
	recheck = 100 * time.Millisecond
	// neverRun is how long after the cache's start an informer it built may still not run
	// before it may be one that never will (removed before the start, or built for a
	// GetInformer that then failed): the cache runs its informers at once. A wait that meets
	// one ends with the cache's own wait, which knows what the cache holds.
	neverRun = time.Second
)

// Cache is a controller-runtime cache whose waits for syncing end when the informers and
// handlers waited for have synced. Build it with New.
type Cache struct {
	cache.Cache

	mu        sync.Mutex
	startedAt time.Time  // zero until Start
	awaited   []*awaited // informers built and handlers added through the cache, not yet seen synced
}

// syncing is what informers and handler registrations have in common.
type syncing interface {
	HasSynced() bool
	HasSyncedChecker() toolscache.DoneChecker
}

// awaited is an informer, or an event handler's registration with the informer it was added
// to, until it has synced.
type awaited struct {
	syncing
	informer interface{ IsStopped() bool }
	built    time.Time // an informer's
	of       *awaited  // a handler's: its informer's, when the cache waits for it
	// gone: a handler removed, or an informer the cache does not hold (never run, and the
	// cache's own wait ended without it); it never syncs. Guarded by Cache.mu.
	gone bool
}

// doneLocked tells whether a has synced or never will (stopped, removed); Cache.mu is held.
func (a *awaited) doneLocked() bool {
	return a.gone || a.HasSynced() || a.informer.IsStopped()
}

// settledLocked tells whether a wait for a is over: it is done, or an informer the started
// cache has not run (neverRunLocked); Cache.mu is held.
func (c *Cache) settledLocked(a *awaited) bool {
	return a.doneLocked() || c.neverRunLocked(a)
}

// neverRunLocked tells whether a is an informer (or a handler of one) the cache has not run
// for neverRun since it started (or since a was built): one removed before the start, or
// built for a GetInformer that then failed, neither of which the cache ever runs, or one the
// cache is slow to run.
func (c *Cache) neverRunLocked(a *awaited) bool {
	if a.of != nil {
		return c.neverRunLocked(a.of)
	}
	i, ok := a.informer.(interface{ HasStarted() bool })
	return ok && !a.built.IsZero() && !c.startedAt.IsZero() && !i.HasStarted() &&
		time.Since(a.built) > neverRun && time.Since(c.startedAt) > neverRun
}

// New builds a controller-runtime cache (cache.New) with opts, as a Cache; it has the
// signature of the manager's NewCache option.
func New(cfg *rest.Config, opts cache.Options) (cache.Cache, error) {
	c := &Cache{}
	build := opts.NewInformer
	if build == nil {
		build = toolscache.NewSharedIndexInformer
	}
	opts.NewInformer = func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
		informer := build(lw, obj, resync, indexers)
		c.await(&awaited{syncing: informer, informer: informer, built: time.Now()})
		return informer
	}
	inner, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	c.Cache = inner
	return c, nil
}

// await adds a to what the waits wait for, and forgets what has settled.
func (c *Cache) await(a *awaited) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pruneLocked()
	c.awaited = append(c.awaited, a)
}

// pruneLocked forgets what is done. An informer never run stays: a wait that meets it ends
// with the cache's own wait (WaitForCacheSync).
func (c *Cache) pruneLocked() {
	c.awaited = slices.DeleteFunc(c.awaited, (*awaited).doneLocked)
}

// Start runs the cache until ctx ends.
func (c *Cache) Start(ctx context.Context) error {
	c.mu.Lock()
	c.startedAt = time.Now()
	c.mu.Unlock()
	return c.Cache.Start(ctx)
}

// WaitForCacheSync waits until every informer of the cache, and every handler added through
// it, that had not synced when it was called has synced (or stopped, or was removed, or is
// an informer the cache never ran); false if ctx ended first. What is added while it waits
// is not waited for. With nothing to wait for, it is controller-runtime's, which also waits
// for the cache to start.
func (c *Cache) WaitForCacheSync(ctx context.Context) bool {
	c.mu.Lock()
	c.pruneLocked()
	pending := slices.Clone(c.awaited)
	c.mu.Unlock()
	if len(pending) == 0 {
		return c.Cache.WaitForCacheSync(ctx)
	}
	// An informer syncs only once the cache has started it: before, this waits for the
	// start too.
	slow := false
	for _, a := range pending {
		for !c.settled(a) {
			if !wait(ctx, a.HasSyncedChecker().Done()) {
				return false
			}
		}
		c.mu.Lock()
		slow = slow || c.neverRunLocked(a)
		c.mu.Unlock()
	}
	if slow {
		// Taken for one that will never run, or slow to: the cache's own wait tells, and
		// only waits for what the cache holds. What it did not wait for, it does not hold.
		if !c.Cache.WaitForCacheSync(ctx) {
			return false
		}
		c.mu.Lock()
		for _, a := range pending {
			if !a.doneLocked() && c.neverRunLocked(a) {
				a.gone = true
			}
		}
		c.pruneLocked()
		c.mu.Unlock()
	}
	return ctx.Err() == nil
}

func (c *Cache) settled(a *awaited) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settledLocked(a)
}

// wait waits for done, at most recheck; false if ctx ended first.
func wait(ctx context.Context, done <-chan struct{}) bool {
	timer := time.NewTimer(recheck)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// GetInformer returns the informer of obj's kind: one whose handlers the cache's
// WaitForCacheSync waits for. Unless told not to block, it waits until the informer has
// synced once the cache has started, as the cache would.
func (c *Cache) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformer(ctx, obj, append(slices.Clip(opts), cache.BlockUntilSynced(false))...)
	if err != nil {
		return nil, err
	}
	return c.informer(ctx, i, fmt.Sprintf("%T", obj), opts)
}

// GetInformerForKind is GetInformer for a kind.
func (c *Cache) GetInformerForKind(ctx context.Context, gvk schema.GroupVersionKind, opts ...cache.InformerGetOption) (cache.Informer, error) {
	i, err := c.Cache.GetInformerForKind(ctx, gvk, append(slices.Clip(opts), cache.BlockUntilSynced(false))...)
	if err != nil {
		return nil, err
	}
	return c.informer(ctx, i, gvk.String(), opts)
}

func (c *Cache) informer(ctx context.Context, i cache.Informer, what string, opts []cache.InformerGetOption) (cache.Informer, error) {
	var o cache.InformerGetOptions
	for _, opt := range opts {
		opt(&o)
	}
	c.mu.Lock()
	block := !c.startedAt.IsZero() && (o.BlockUntilSynced == nil || *o.BlockUntilSynced)
	c.mu.Unlock()
	for block && !i.HasSynced() {
		if !wait(ctx, i.HasSyncedChecker().Done()) {
			return nil, apierrors.NewTimeoutError("failed waiting for the informer of "+what+" to sync", 0)
		}
	}
	return &informer{Informer: i, cache: c}, nil
}

// informer records the handlers added to it in its cache.
type informer struct {
	cache.Informer
	cache *Cache
}

// AddEventHandler adds h.
func (i *informer) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.added(i.Informer.AddEventHandler(h))
}

// AddEventHandlerWithResyncPeriod adds h with a resync period.
func (i *informer) AddEventHandlerWithResyncPeriod(h toolscache.ResourceEventHandler, resync time.Duration) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.added(i.Informer.AddEventHandlerWithResyncPeriod(h, resync))
}

// AddEventHandlerWithOptions adds h with options.
func (i *informer) AddEventHandlerWithOptions(h toolscache.ResourceEventHandler, opts toolscache.HandlerOptions) (toolscache.ResourceEventHandlerRegistration, error) {
	return i.added(i.Informer.AddEventHandlerWithOptions(h, opts))
}

func (i *informer) added(r toolscache.ResourceEventHandlerRegistration, err error) (toolscache.ResourceEventHandlerRegistration, error) {
	if err != nil || r == nil || r.HasSynced() {
		return r, err
	}
	a := &awaited{syncing: r, informer: i.Informer}
	c := i.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.awaited {
		if b.syncing == i.Informer {
			a.of = b // the informer's own, whose never running a handler of it shares
		}
	}
	c.pruneLocked()
	c.awaited = append(c.awaited, a)
	return r, nil
}

// RemoveEventHandler removes a handler: a removed handler never syncs, and is not waited for.
func (i *informer) RemoveEventHandler(r toolscache.ResourceEventHandlerRegistration) error {
	if err := i.Informer.RemoveEventHandler(r); err != nil {
		return err
	}
	c := i.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.awaited {
		if a.syncing == r {
			a.gone = true
		}
	}
	c.pruneLocked()
	return nil
}

// GetIndexer returns the indexer behind the informer, nil when it hides it (cacheview reads
// the store in place through it).
func (i *informer) GetIndexer() toolscache.Indexer {
	if indexed, ok := i.Informer.(interface{ GetIndexer() toolscache.Indexer }); ok {
		return indexed.GetIndexer()
	}
	return nil
}
