package shard

import (
	"context"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

const (
	// applyTimeout is how long a view waits for its informer to apply a list before it lets
	// the shards of that list be worked on anyway (an object listed and deleted at once may
	// never be seen).
	applyTimeout = 10 * time.Second
	// shrinkDelay is how long the caches keep the objects of lost shards before they list
	// again without them: hand-offs come in bursts, and one list after a burst costs less
	// than one per step (the reflector spaces its lists out further each time).
	shrinkDelay = 10 * time.Second
)

// NewInformer returns the informer constructor for controller-runtime's cache.Options: the
// informers of the kinds Options.Cached names hold only the objects of the namespaces whose
// shard this replica holds (or is about to work on). The others are built as usual. nil
// (controller-runtime's default) when g is nil or no kind is sharded.
//
// Each sharded informer's list answers are filtered by the shards in view when the list
// began, and its watch events by the shards of the list its store holds. When a shard is
// acquired (and, shrinkDelay after a loss, when one is lost), its watches end with
// "410 Expired" — a streaming list only once its initial events are in — so the informer
// lists again and replaces its store: objects of acquired shards arrive as additions and
// those of lost shards leave as deletions.
func (g *Gate) NewInformer(scheme *runtime.Scheme) func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer {
	if g == nil || g.opts.Cached == nil || g.opts.KeyBy != ByNamespace {
		return nil
	}
	return func(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, indexers toolscache.Indexers) toolscache.SharedIndexInformer {
		gvk, err := apiutil.GVKForObject(obj, scheme)
		if err != nil || !g.opts.Cached(gvk.GroupKind()) {
			return toolscache.NewSharedIndexInformer(lw, obj, resync, indexers)
		}
		v := &view{gate: g, inner: toolscache.ToListerWatcherWithContext(lw), outer: lw,
			watches: map[*viewWatch]struct{}{}}
		informer := toolscache.NewSharedIndexInformer(v, obj, resync, indexers)
		v.indexer = informer.GetIndexer()
		g.mu.Lock()
		g.views = append(g.views, v)
		g.mu.Unlock()
		return informer
	}
}

// viewSnapshot is the set of shards in view at one version.
type viewSnapshot struct {
	version uint64
	shards  []bool // held or warming, by shard
	warming []bool
}

// snapshot returns the shards in view now.
func (g *Gate) snapshot() viewSnapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	snap := viewSnapshot{version: g.viewVersion, shards: make([]bool, len(g.shards)), warming: make([]bool, len(g.shards))}
	for s := range g.shards {
		snap.shards[s] = g.shards[s].held || g.shards[s].warming
		snap.warming[s] = g.shards[s].warming
	}
	return snap
}

// cachedLocked tells whether every running sharded informer holds the objects of shard s,
// and will go on holding them.
func (g *Gate) cachedLocked(s int) bool {
	for _, v := range g.views {
		if !v.holds(s) {
			return false
		}
	}
	return true
}

// viewApplied is called when an informer has applied a list: warming shards may start.
func (g *Gate) viewApplied() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.admitLocked()
}

// admits tells whether an object of namespace belongs in a view of snap; cluster-scoped
// objects always do.
func (g *Gate) admits(snap *viewSnapshot, namespace string) bool {
	return namespace == "" || snap.shards[g.ShardOf(namespace, "")]
}

// view is the ListerWatcher of one sharded informer.
type view struct {
	gate    *Gate
	inner   toolscache.ListerWatcherWithContext
	outer   toolscache.ListerWatcher // as given, for what the reflector asks of it besides
	indexer toolscache.Indexer

	mu      sync.Mutex
	started bool    // the informer runs: it has begun a list or a watch
	listing *relist // the list in progress (paged, or the initial events of a watch)
	// filled is the snapshot of the last list that ended: the shards whose objects the store
	// holds, and whose events watches pass on.
	filled    viewSnapshot
	hasFilled bool
	synced    uint64 // the version of the last list the informer has applied
	relistAt  uint64 // the version from which on the store must be listed again
	watches   map[*viewWatch]struct{}
}

// relist is one list (paged, or the initial events of a watch) under one snapshot.
type relist struct {
	snap viewSnapshot
	// warm are the keys of listed objects of warming shards: work on those shards waits
	// until the informer holds them.
	warm []string
}

func (r *relist) admit(g *Gate, obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	if err != nil {
		return true
	}
	ns := m.GetNamespace()
	if !g.admits(&r.snap, ns) {
		return false
	}
	if ns != "" && r.snap.warming[g.ShardOf(ns, "")] {
		r.warm = append(r.warm, ns+"/"+m.GetName())
	}
	return true
}

// holds tells whether the informer holds the objects of shard s and will go on holding them
// (no list in progress leaves s out), or does not run yet (an informer that is never started
// must not hold every shard back; one that starts lists under the view of its time).
func (v *view) holds(s int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.started {
		return true
	}
	return v.hasFilled && v.filled.shards[s] && v.synced >= v.filled.version &&
		(v.listing == nil || v.listing.snap.shards[s])
}

// List lists without a context, for callers that have none.
func (v *view) List(opts metav1.ListOptions) (runtime.Object, error) {
	return v.ListWithContext(context.Background(), opts)
}

// Watch watches without a context, for callers that have none.
func (v *view) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return v.WatchWithContext(context.Background(), opts)
}

// IsWatchListSemanticsUnSupported passes on what the wrapped ListerWatcher says of
// streaming lists (the reflector asks).
func (v *view) IsWatchListSemanticsUnSupported() bool {
	u, ok := v.outer.(interface{ IsWatchListSemanticsUnSupported() bool })
	return ok && u.IsWatchListSemanticsUnSupported()
}

// ListWithContext lists and keeps the objects in view. The pages of one list share the
// snapshot of its first.
func (v *view) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	v.mu.Lock()
	r := v.listing
	v.mu.Unlock()
	if opts.Continue == "" || r == nil {
		v.waitFirst(ctx)
		r = &relist{snap: v.gate.snapshot()}
		v.mu.Lock()
		v.listing = r
		v.started = true
		v.mu.Unlock()
	}
	list, err := v.inner.ListWithContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	var kept []runtime.Object
	if err := meta.EachListItem(list, func(o runtime.Object) error {
		if r.admit(v.gate, o) {
			kept = append(kept, o)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := meta.SetList(list, kept); err != nil {
		return nil, err
	}
	if l, err := meta.ListAccessor(list); err == nil && l.GetContinue() == "" {
		v.ended(r)
	}
	return list, nil
}

// WatchWithContext watches and passes on the events of objects in view: for a streaming
// list, the shards in view now; otherwise those of the list the store holds. A watch that
// would resume a store that must be listed again is refused as expired.
func (v *view) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	initial := opts.SendInitialEvents != nil && *opts.SendInitialEvents
	var r *relist
	if initial {
		v.waitFirst(ctx)
		r = &relist{snap: v.gate.snapshot()}
	}
	v.mu.Lock()
	v.started = true
	var snap viewSnapshot
	switch {
	case initial:
		snap = r.snap
		v.listing = r
	case !v.hasFilled || v.relistAt > v.filled.version:
		v.mu.Unlock()
		return nil, expired()
	default:
		snap = v.filled
	}
	v.mu.Unlock()
	inner, err := v.inner.WatchWithContext(ctx, opts)
	if err != nil {
		if initial {
			v.abandon(r)
		}
		return nil, err
	}
	w := &viewWatch{view: v, inner: inner, snap: snap, relist: r, result: make(chan watch.Event),
		stop: make(chan struct{}), expired: make(chan struct{})}
	v.mu.Lock()
	v.watches[w] = struct{}{}
	if v.relistAt > snap.version {
		w.expire() // the view gained a shard since the snapshot
	}
	v.mu.Unlock()
	go w.run()
	return w, nil
}

// waitFirst holds the informer's first list until the gate has taken its first shards: a
// list of none would stream every object for nothing, and the next every object again.
func (v *view) waitFirst(ctx context.Context) {
	v.mu.Lock()
	first := !v.hasFilled
	v.mu.Unlock()
	if first {
		v.gate.waitSettled(ctx)
	}
}

// abandon forgets a list that will not end.
func (v *view) abandon(r *relist) {
	v.mu.Lock()
	if v.listing == r {
		v.listing = nil
	}
	v.mu.Unlock()
	v.gate.viewApplied()
}

func expired() *apierrors.StatusError {
	return apierrors.NewResourceExpired("the shards this replica holds changed: list again")
}

// expire ends the watches begun under an older view than version: the store must be listed
// again.
func (v *view) expire(version uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.relistAt = max(v.relistAt, version)
	for w := range v.watches {
		if w.snap.version < version {
			w.expire()
		}
	}
}

// ended records a list that ended, and lets the gate know once the informer has applied it:
// once it holds the listed objects of warming shards.
func (v *view) ended(r *relist) {
	v.mu.Lock()
	v.filled, v.hasFilled = r.snap, true
	if v.listing == r {
		v.listing = nil
	}
	v.mu.Unlock()
	var missing []string
	for _, key := range r.warm {
		if !v.has(key) {
			missing = append(missing, key)
		}
	}
	if len(missing) == 0 {
		v.markApplied(r.snap.version)
		return
	}
	go func() {
		deadline := time.Now().Add(applyTimeout)
		for len(missing) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			missing = slices.DeleteFunc(missing, v.has)
		}
		v.markApplied(r.snap.version)
	}()
}

func (v *view) has(key string) bool {
	if v.indexer == nil {
		return true
	}
	_, ok, _ := v.indexer.GetByKey(key)
	return ok
}

func (v *view) markApplied(version uint64) {
	v.mu.Lock()
	v.synced = max(v.synced, version)
	v.mu.Unlock()
	v.gate.viewApplied()
}

func (v *view) forget(w *viewWatch) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.watches, w)
}

// viewWatch passes on the events of one watch that concern objects in its snapshot's view.
type viewWatch struct {
	view   *view
	inner  watch.Interface
	snap   viewSnapshot
	relist *relist // until the initial events of a streaming list end
	result chan watch.Event

	stopOnce, expireOnce sync.Once
	stop, expired        chan struct{}
}

// Stop ends the watch.
func (w *viewWatch) Stop() { w.stopOnce.Do(func() { close(w.stop) }) }

// ResultChan returns the events.
func (w *viewWatch) ResultChan() <-chan watch.Event { return w.result }

func (w *viewWatch) expire() { w.expireOnce.Do(func() { close(w.expired) }) }

func (w *viewWatch) run() {
	defer func() {
		w.inner.Stop()
		if w.relist != nil {
			w.view.abandon(w.relist)
		}
		w.view.forget(w)
		close(w.result)
	}()
	// A streaming list is not cut short: under hand-offs that follow each other faster than
	// a list of many objects streams, no list would ever end. Its expiry waits for the end
	// of its initial events, so the informer applies it (and the shards it holds may be
	// worked on) before it lists again.
	for {
		var expired <-chan struct{}
		if w.relist == nil {
			expired = w.expired
		}
		select {
		case <-w.stop:
			return
		case <-expired:
			w.sendExpired()
			return
		case event, ok := <-w.inner.ResultChan():
			if !ok {
				return
			}
			if !w.pass(event) {
				continue
			}
			select {
			case w.result <- event:
			case <-w.stop:
				return
			}
		}
	}
}

func (w *viewWatch) sendExpired() {
	select {
	case w.result <- watch.Event{Type: watch.Error, Object: &expired().ErrStatus}:
	case <-w.stop:
	}
}

// pass tells whether event goes on to the informer, and notes the end of a streaming
// list's initial events.
func (w *viewWatch) pass(event watch.Event) bool {
	g := w.view.gate
	switch event.Type {
	case watch.Added, watch.Modified, watch.Deleted:
		if w.relist != nil {
			return w.relist.admit(g, event.Object)
		}
		m, err := meta.Accessor(event.Object)
		return err != nil || g.admits(&w.snap, m.GetNamespace())
	case watch.Bookmark:
		if w.relist != nil {
			if m, err := meta.Accessor(event.Object); err == nil && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
				w.view.ended(w.relist)
				w.relist = nil
			}
		}
	}
	return true
}
