package changefeed

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
)

// ConditionEventFeed is the store condition that reports its change feed: True while it
// receives, False with the reason while it fails. Stores without a feed have none.
const ConditionEventFeed = "EventFeed"

// Reasons of the EventFeed condition.
const (
	ReasonFeedReceiving = "Receiving"
	ReasonFeedFailing   = "FeedFailing"
	ReasonFeedStarting  = "Starting"
)

// feedRetry bounds the wait between failed receives, so that a feed that comes back is
// found healthy again within it.
const feedRetry = 15 * time.Second

// Feeds runs the change feeds that stores' annotations configure, one per store, and
// writes each store's EventFeed condition. Request namespaces are empty for
// ClusterSecretStores.
type Feeds struct {
	Client          client.Client
	Kube            client.Client // uncached, for the feeds' auth
	Registry        *provider.Registry
	Hub             *Hub
	ControllerClass string
	// Namespaces, when set, are the namespaces served: ClusterSecretStores are not watched.
	Namespaces []string

	mu      sync.Mutex
	running map[fetch.StoreID]*runningFeed
}

type runningFeed struct {
	config string // what the feed was built from; a change restarts it
	stop   context.CancelFunc
}

// SetupWithManager registers the controller; it runs on the leader only.
func (f *Feeds) SetupWithManager(mgr ctrl.Manager) error {
	f.running = map[fetch.StoreID]*runningFeed{}
	changed := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).Named("changefeed").
		For(&esv1.SecretStore{}, builder.WithPredicates(changed)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2})
	if len(f.Namespaces) == 0 {
		b = b.Watches(&esv1.ClusterSecretStore{}, handler.EnqueueRequestsFromMapFunc(
			func(_ context.Context, o client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: o.GetName()}}}
			}), builder.WithPredicates(changed))
	}
	return b.Complete(f)
}

// Reconcile starts, restarts or stops the store's feed. The store controller writes the
// EventFeed condition from the hub's state, so that one writer owns the store's status.
func (f *Feeds) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	store, id := f.newStore(req)
	err := f.Client.Get(ctx, req.NamespacedName, store)
	if apierrors.IsNotFound(err) {
		f.stop(id)
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading store: %w", err)
	}
	if store.GetSpec().Controller != f.ControllerClass || !store.GetDeletionTimestamp().IsZero() {
		f.stop(id)
		return ctrl.Result{}, nil
	}
	config := feedConfig(store)
	if config == "" {
		f.stop(id)
		return ctrl.Result{}, nil
	}
	f.ensure(ctx, store, id, config)
	return ctrl.Result{}, nil
}

func (f *Feeds) newStore(req ctrl.Request) (esv1.GenericStore, fetch.StoreID) {
	if req.Namespace == "" {
		return &esv1.ClusterSecretStore{}, fetch.StoreID{Kind: esv1.ClusterSecretStoreKind, Name: req.Name}
	}
	return &esv1.SecretStore{}, fetch.StoreID{Kind: esv1.SecretStoreKind, Namespace: req.Namespace, Name: req.Name}
}

// HasFeed says whether store's annotations configure a change feed. The fetcher asks on
// every read, so it builds nothing.
func HasFeed(store esv1.GenericStore) bool {
	for k := range store.GetAnnotations() {
		if strings.HasPrefix(k, annotationPrefix) {
			return true
		}
	}
	return false
}

// annotationPrefix starts the store annotations that configure its feed.
const annotationPrefix = "events.ferry.dev/"

// feedConfig is what a feed is built from: the store's generation and Ferry's event
// annotations; "" when the store configures no feed.
func feedConfig(store esv1.GenericStore) string {
	var parts []string
	for k, v := range store.GetAnnotations() {
		if strings.HasPrefix(k, annotationPrefix) {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%s/%v", store.GetGeneration(), store.GetUID(), parts)
}

// ensure runs the store's feed as configured, replacing one built from another config.
func (f *Feeds) ensure(ctx context.Context, store esv1.GenericStore, id fetch.StoreID, config string) {
	f.mu.Lock()
	r := f.running[id]
	if r != nil && r.config == config {
		f.mu.Unlock()
		return
	}
	if r != nil {
		r.stop()
	}
	feedCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	f.running[id] = &runningFeed{config: config, stop: stop}
	f.mu.Unlock()
	if _, ok := f.Hub.Feed(id); !ok {
		f.Hub.SetFeed(id, FeedState{Reason: ReasonFeedStarting, Message: "the change feed has not received yet"})
	}
	go f.run(feedCtx, store.DeepCopyObject().(esv1.GenericStore), id) //nolint:gosec // lives until the store changes
}

// stop ends the store's feed and forgets its state.
func (f *Feeds) stop(id fetch.StoreID) {
	f.mu.Lock()
	r := f.running[id]
	delete(f.running, id)
	f.mu.Unlock()
	if r != nil {
		r.stop()
	}
	f.Hub.RemoveFeed(id)
}

// run builds the feed and receives until ctx ends, reporting its health to the hub.
func (f *Feeds) run(ctx context.Context, store esv1.GenericStore, id fetch.StoreID) {
	log := ctrl.LoggerFrom(ctx).WithValues("store", id)
	var feed provider.ChangeFeed
	for ctx.Err() == nil {
		var err error
		if feed == nil {
			feed, err = f.build(ctx, store)
		}
		if err == nil {
			err = f.receive(ctx, id, feed)
		}
		if ctx.Err() != nil {
			return
		}
		// The queue's or the login's own words, which may repeat the credentials sent.
		msg := redact.New().Message(redact.Foreign(err))
		log.Info("Change feed failing; objects fall back to their own refresh intervals", "error", msg)
		f.Hub.SetFeed(id, FeedState{Reason: ReasonFeedFailing, Message: msg, Source: sourceOf(feed)})
		select {
		case <-ctx.Done():
			return
		case <-time.After(feedRetry):
		}
	}
}

func (f *Feeds) build(ctx context.Context, store esv1.GenericStore) (provider.ChangeFeed, error) {
	p, err := f.Registry.ForStore(store)
	if err != nil {
		return nil, err
	}
	feeder, ok := p.(provider.ChangeFeeder)
	if !ok {
		return nil, fmt.Errorf("the %s provider has no change feed", p.Name())
	}
	feed, err := feeder.NewChangeFeed(ctx, store, f.Kube, store.GetNamespace())
	if err == nil && feed == nil {
		err = fmt.Errorf("the store's annotations configure no change feed the %s provider knows", p.Name())
	}
	return feed, err
}

// receive routes the feed's reports until it fails.
func (f *Feeds) receive(ctx context.Context, id fetch.StoreID, feed provider.ChangeFeed) error {
	for {
		changes, err := feed.Receive(ctx)
		if err != nil {
			return err
		}
		f.Hub.SetFeed(id, FeedState{Healthy: true, Reason: ReasonFeedReceiving, Message: "receiving change events", Source: feed.Source()})
		for _, c := range changes {
			switch {
			case c.Malformed:
				f.Hub.metrics.Refused(feed.Source(), RefusedMalformed)
			case len(c.Keys) > 0:
				if !c.At.IsZero() {
					f.Hub.metrics.Lag(feed.Source(), time.Since(c.At))
				}
				f.Hub.Changed(id, c.Keys, feed.Source())
			}
		}
	}
}

func sourceOf(feed provider.ChangeFeed) string {
	if feed == nil {
		return ""
	}
	return feed.Source()
}

// SetFeedCondition sets the store status's EventFeed condition from the feed's state (nil:
// the store has no feed, and the condition is removed) and says whether anything changed.
func SetFeedCondition(status *esv1.SecretStoreStatus, state *FeedState) bool {
	i := -1
	for j, c := range status.Conditions {
		if c.Type == ConditionEventFeed {
			i = j
		}
	}
	if state == nil {
		if i < 0 {
			return false
		}
		status.Conditions = append(status.Conditions[:i], status.Conditions[i+1:]...)
		return true
	}
	want := esv1.SecretStoreStatusCondition{Type: ConditionEventFeed, Status: metav1.ConditionFalse,
		Reason: state.Reason, Message: state.Message, LastTransitionTime: metav1.Now()}
	if state.Healthy {
		want.Status = metav1.ConditionTrue
	}
	if i < 0 {
		status.Conditions = append(status.Conditions, want)
		return true
	}
	c := &status.Conditions[i]
	if c.Status == want.Status && c.Reason == want.Reason && c.Message == want.Message {
		return false
	}
	if c.Status == want.Status {
		want.LastTransitionTime = c.LastTransitionTime
	}
	*c = want
	return true
}
