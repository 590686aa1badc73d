package changefeed

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ferryhq/ferry/internal/fetch"
)

// DefaultSafetyInterval is how often objects covered by a healthy feed are still refreshed
// by polling, unless their own interval is longer.
const DefaultSafetyInterval = time.Hour

// Hub receives change reports and routes them to the controllers. It also keeps the
// health of each store's feed, which decides whether the store's objects poll at their own
// interval or at the safety interval. A nil *Hub routes nothing and covers no store.
type Hub struct {
	fetcher *fetch.Fetcher
	safety  time.Duration
	metrics *Metrics

	mu      sync.Mutex
	pending map[fetch.Reader]time.Time // a change reported for the object, not yet synced
	publish func(fetch.StoreID, []string)
	queues  map[string]workqueue.TypedRateLimitingInterface[reconcile.Request]
	feeds   map[fetch.StoreID]FeedState
}

// FeedState is the health of one store's feed.
type FeedState struct {
	// Healthy: the feed receives; its objects poll at the safety interval.
	Healthy bool
	// Reason and Message say why it is not healthy (no value, ever).
	Reason, Message string
	// Source names the feed ("aws-sqs").
	Source string
}

// NewHub returns a Hub over fetcher. safety is the polling interval of covered objects
// (0: DefaultSafetyInterval); metrics may be nil.
func NewHub(fetcher *fetch.Fetcher, safety time.Duration, metrics *Metrics) *Hub {
	if safety <= 0 {
		safety = DefaultSafetyInterval
	}
	return &Hub{fetcher: fetcher, safety: safety, metrics: metrics, pending: map[fetch.Reader]time.Time{},
		queues: map[string]workqueue.TypedRateLimitingInterface[reconcile.Request]{}, feeds: map[fetch.StoreID]FeedState{}}
}

// Source is the controller-runtime source of reconcile requests for objects of kind: a
// controller watches it to be told of changes its objects read (ExternalSecret), or of its
// stores' feeds changing state (SecretStore, ClusterSecretStore). Changes reported before
// the controller started are enqueued when it starts.
func (h *Hub) Source(kind string) source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.queues[kind] = q
		for r := range h.pending {
			if r.Kind == kind {
				q.Add(request(r))
			}
		}
		return nil
	})
}

func request(r fetch.Reader) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: r.Namespace, Name: r.Name}}
}

// SetRelay hands every report the hub receives to publish as well (Relay.Publish), for the
// other replicas' objects.
func (h *Hub) SetRelay(publish func(store fetch.StoreID, keys []string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.publish = publish
}

// Changed reports that keys of store changed: the objects of this replica that read them
// are marked pending and enqueued, and the report is relayed to the other replicas when a
// relay is set. It returns how many objects of this replica the report reached; 0 means
// that none reads any of the keys.
func (h *Hub) Changed(store fetch.StoreID, keys []string, source string) int {
	if h == nil {
		return 0
	}
	n := h.route(store, keys, source)
	h.mu.Lock()
	publish := h.publish
	h.mu.Unlock()
	if publish != nil {
		publish(store, keys)
	}
	return n
}

// route marks and enqueues the objects of this replica that read keys of store.
func (h *Hub) route(store fetch.StoreID, keys []string, source string) int {
	readers := h.fetcher.Changed(store, keys)
	now := h.fetcher.Now()
	h.mu.Lock()
	for _, r := range readers {
		h.pending[r] = now
		if q := h.queues[r.Kind]; q != nil {
			q.Add(request(r))
		}
	}
	h.mu.Unlock()
	h.metrics.report(store, source, len(readers))
	return len(readers)
}

// Pending says whether a change was reported for r that no sync has served yet.
func (h *Hub) Pending(r fetch.Reader) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.pending[r]
	return ok
}

// Done tells that a sync of r that started at started succeeded: changes reported before
// it are served.
func (h *Hub) Done(r fetch.Reader, started time.Time) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if at, ok := h.pending[r]; ok && !at.After(started) {
		delete(h.pending, r)
	}
}

// Forget drops what the hub and the fetcher know of r (a deleted object).
func (h *Hub) Forget(r fetch.Reader) {
	if h == nil {
		return
	}
	h.mu.Lock()
	delete(h.pending, r)
	h.mu.Unlock()
	h.fetcher.ForgetReader(r)
}

// SafetyInterval is the polling interval of objects whose stores all have healthy feeds.
func (h *Hub) SafetyInterval() time.Duration { return h.safety }

// Covered says whether every store in stores has a healthy feed.
func (h *Hub) Covered(stores []fetch.StoreID) bool {
	if h == nil || len(stores) == 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range stores {
		if !h.feeds[s].Healthy {
			return false
		}
	}
	return true
}

// Feed returns the state of store's feed, and false when it has none.
func (h *Hub) Feed(store fetch.StoreID) (FeedState, bool) {
	if h == nil {
		return FeedState{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.feeds[store]
	return s, ok
}

// SetFeed records the state of store's feed. When it changes, every object that reads from
// the store is enqueued to take up its new schedule (the safety interval, or its own
// interval again), and so is the store, whose controller writes the EventFeed condition.
func (h *Hub) SetFeed(store fetch.StoreID, state FeedState) {
	h.mu.Lock()
	old, had := h.feeds[store]
	h.feeds[store] = state
	h.mu.Unlock()
	h.metrics.feedState(store, state.Healthy)
	if !had || old != state {
		h.reschedule(store)
	}
}

// RemoveFeed forgets store's feed: its objects poll at their own intervals again.
func (h *Hub) RemoveFeed(store fetch.StoreID) {
	h.mu.Lock()
	_, had := h.feeds[store]
	delete(h.feeds, store)
	h.mu.Unlock()
	h.metrics.forgetFeed(store)
	if had {
		h.reschedule(store)
	}
}

// reschedule enqueues the store and every object that reads from it, without marking a
// change.
func (h *Hub) reschedule(store fetch.StoreID) {
	readers := h.fetcher.ReadersOf(store)
	h.mu.Lock()
	defer h.mu.Unlock()
	if q := h.queues[store.Kind]; q != nil {
		q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: store.Namespace, Name: store.Name}})
	}
	for _, r := range readers {
		if q := h.queues[r.Kind]; q != nil {
			q.Add(request(r))
		}
	}
}
