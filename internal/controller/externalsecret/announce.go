package externalsecret

import (
	"context"
	"sync"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/storeref"
)

// maxAnnounced bounds the scopes remembered; past it they are all forgotten, and each is
// announced once more at its next sync.
const maxAnnounced = 10000

// announced remembers the fetcher scopes (a store generation, and the namespace where the
// store's client depends on it) whose readers were announced in this process.
type announced struct {
	mu     sync.Mutex
	scopes map[fetch.Scope]chan struct{} // closed when the scope's announcement ends
}

// begin returns what closes when scope's announcement ends, and whether the caller is to
// make it.
func (a *announced) begin(scope fetch.Scope) (chan struct{}, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ended, ok := a.scopes[scope]; ok {
		return ended, false
	}
	if a.scopes == nil || len(a.scopes) >= maxAnnounced {
		a.scopes = map[fetch.Scope]chan struct{}{}
	}
	done := make(chan struct{})
	a.scopes[scope] = done
	return done, true
}

// end ends scope's announcement; one not made is forgotten, so that a later sync makes it.
func (a *announced) end(scope fetch.Scope, ended chan struct{}, made bool) {
	if !made {
		a.mu.Lock()
		if a.scopes[scope] == ended {
			delete(a.scopes, scope)
		}
		a.mu.Unlock()
	}
	close(ended)
}

// announce tells the fetcher, at the first sync in this process of each store generation
// (per namespace where the store's client depends on it), the keys that the other readers
// it serves read and this process has not synced (Fetcher.Expect). The first read of an
// uncached key then takes them along, so a cold start reads the store in a few batch calls
// instead of one call per handful of keys as objects come due. A restart finds the objects
// that are in sync in idle reconciles, which expect their keys too (report.go).
//
// Only stores read in batches are announced, and only what a sync of the reader would read
// from this store: readers this replica does not hold a shard of, readers being deleted and
// readers the store refuses (conditions, controller class) are left out. The announcing
// object's own client is the only one built (for a ClusterSecretStore whose client follows
// the namespace, only readers of its namespace are announced), and a store whose client
// cannot be built is announced at a later sync. Nothing is read here. Concurrent syncs of
// the scope wait for the announcement, or for their context: a read that left before it
// would carry a key or two.
func (r *Reconciler) announce(ctx context.Context, es *esv1.ExternalSecret, stores map[storeref.Key]esv1.GenericStore) {
	for k, store := range stores {
		if store == nil {
			continue
		}
		src := r.source(es, store, 0)
		scope := r.Fetcher.Scope(src)
		ended, mine := r.announcedStores.begin(scope)
		if !mine {
			select {
			case <-ended:
			case <-ctx.Done():
			}
			continue
		}
		batched, err := r.Fetcher.Batched(ctx, src)
		made := err == nil && (!batched || r.announceScope(ctx, es, k, store, scope))
		r.announcedStores.end(scope, ended, made)
	}
}

// announceScope expects the keys of the readers of store that scope serves, and reports
// whether it could list them.
func (r *Reconciler) announceScope(ctx context.Context, es *esv1.ExternalSecret, k storeref.Key, store esv1.GenericStore, scope fetch.Scope) bool {
	readers, err := r.index.readers(ctx, store)
	if err != nil {
		return false
	}
	// A ClusterSecretStore whose client follows the reader's namespace serves each
	// namespace's readers from a scope of their own.
	ownNamespaceOnly := scope != r.Fetcher.Scope(fetch.Source{Store: store})
	// Whether a reader may use the store depends on its namespace only.
	resolver := storeref.Resolver{Reader: r.Client, ControllerClass: r.ControllerClass, Namespaces: r.Namespaces}
	usable := map[string]bool{}
	for _, reader := range readers {
		if reader.UID == es.UID || !reader.DeletionTimestamp.IsZero() ||
			ownNamespaceOnly && reader.Namespace != es.Namespace {
			continue
		}
		if _, synced := r.syncedAt(reader); synced {
			continue
		}
		if r.Shards != nil && !r.Shards.Holds(reader.Namespace, reader.Name) {
			continue
		}
		ok, seen := usable[reader.Namespace]
		if !seen {
			ok = resolver.Check(ctx, store, reader.Namespace) == nil
			usable[reader.Namespace] = ok
		}
		if !ok {
			continue
		}
		r.expectReads(ctx, reader, func(ref *esv1.SecretStoreRef) (fetch.Source, bool) {
			if readsFrom(reader, ref) != k {
				return fetch.Source{}, false
			}
			return r.source(reader, store, 0), true
		})
	}
	return true
}

// readsFrom is the store an entry of es with store reference ref (nil: none) reads from.
func readsFrom(es *esv1.ExternalSecret, ref *esv1.SecretStoreRef) storeref.Key {
	if ref != nil {
		return storeref.KeyOf(*ref)
	}
	return storeref.KeyOf(es.Spec.SecretStoreRef)
}
