package externalsecret

import (
	"context"
	"fmt"

	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/storeref"
)

// Indexes of ExternalSecrets: which object writes a Secret, which objects read a store.
const (
	// IndexTarget maps a target Secret name to the ExternalSecrets that write it.
	IndexTarget = "ferry.index.target"
	// IndexStore maps "<Kind>/<name>" of a store to the ExternalSecrets that read it.
	IndexStore = "ferry.index.store"
)

// index finds the ExternalSecrets that write a Secret or read a store, in the informer's own
// indexer where the cache shows it (a cache of every namespace, or of one), read in place.
// The manager's field indexes, which a cache of several namespaces needs, keep each key
// twice (under the namespace and under all namespaces), every distinct key in a set of its
// own, and a List through them copies every match: at 10,000 ExternalSecrets the target
// index alone was 10,000 sets, and every managed Secret's event a copy of its owner.
//
// In the informer's indexer, an object whose target is its own name (the default) is not in
// the target index: a Secret's writer of that name is looked up by key. Store keys of
// SecretStores are held under the namespace ("<namespace>/SecretStore/<name>"), those of
// ClusterSecretStores without ("ClusterSecretStore/<name>").
type index struct {
	informer toolscache.Indexer // nil: the manager's field indexes, through reader
	reader   client.Reader
}

// setUpIndex registers the indexes on the ExternalSecret informer, or as field indexes of
// the manager where the informer hides its indexer.
func setUpIndex(ctx context.Context, mgr ctrl.Manager, reader client.Reader) (*index, error) {
	informer, indexer, err := cacheview.Indexer(ctx, mgr.GetCache(), &esv1.ExternalSecret{})
	if err != nil {
		return nil, err
	}
	if indexer == nil {
		idx := mgr.GetFieldIndexer()
		if err := idx.IndexField(ctx, &esv1.ExternalSecret{}, IndexTarget, func(o client.Object) []string {
			return []string{targetName(o.(*esv1.ExternalSecret))}
		}); err != nil {
			return nil, err
		}
		if err := idx.IndexField(ctx, &esv1.ExternalSecret{}, IndexStore, func(o client.Object) []string {
			var keys []string
			for _, k := range storeref.Of(o.(*esv1.ExternalSecret)) {
				keys = append(keys, k.String())
			}
			return keys
		}); err != nil {
			return nil, err
		}
		return &index{reader: reader}, nil
	}
	if err := informer.AddIndexers(toolscache.Indexers{IndexTarget: otherTargetKeys, IndexStore: storeKeys}); err != nil {
		return nil, fmt.Errorf("indexing ExternalSecrets: %w", err)
	}
	return &index{informer: indexer, reader: reader}, nil
}

// otherTargetKeys indexes an ExternalSecret whose target is not its own name under
// "<namespace>/<target>".
func otherTargetKeys(obj any) ([]string, error) {
	es, ok := obj.(*esv1.ExternalSecret)
	if !ok {
		return nil, fmt.Errorf("indexing %T: not an ExternalSecret", obj)
	}
	if target := targetName(es); target != es.Name {
		return []string{es.Namespace + "/" + target}, nil
	}
	return nil, nil
}

// storeKeys indexes an ExternalSecret under the stores it reads.
func storeKeys(obj any) ([]string, error) {
	es, ok := obj.(*esv1.ExternalSecret)
	if !ok {
		return nil, fmt.Errorf("indexing %T: not an ExternalSecret", obj)
	}
	var keys []string
	for _, k := range storeref.Of(es) {
		keys = append(keys, storeKey(k, es.Namespace))
	}
	return keys, nil
}

func storeKey(k storeref.Key, namespace string) string {
	if k.Kind == esv1.ClusterSecretStoreKind {
		return k.String()
	}
	return namespace + "/" + k.String()
}

// writersOf returns the ExternalSecrets whose target is the Secret namespace/name.
func (x *index) writersOf(ctx context.Context, namespace, name string) ([]reconcile.Request, error) {
	if x.informer == nil {
		var list esv1.ExternalSecretList
		if err := x.reader.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexTarget: name}); err != nil {
			return nil, err
		}
		return requests(list.Items), nil
	}
	var out []reconcile.Request
	item, exists, err := x.informer.GetByKey(namespace + "/" + name)
	if err != nil {
		return nil, err
	}
	if es, ok := item.(*esv1.ExternalSecret); exists && ok && targetName(es) == name {
		out = append(out, requestOf(es))
	}
	others, err := x.informer.ByIndex(IndexTarget, namespace+"/"+name)
	if err != nil {
		return nil, err
	}
	return appendRequests(out, others), nil
}

// readersOf returns the ExternalSecrets that read the store.
func (x *index) readersOf(ctx context.Context, store esv1.GenericStore) ([]reconcile.Request, error) {
	readers, err := x.readers(ctx, store)
	if err != nil {
		return nil, err
	}
	out := make([]reconcile.Request, len(readers))
	for i, es := range readers {
		out[i] = requestOf(es)
	}
	return out, nil
}

// readers returns the ExternalSecrets that read the store: where the informer's indexer is
// read, the cache's own objects, which must not be changed.
func (x *index) readers(ctx context.Context, store esv1.GenericStore) ([]*esv1.ExternalSecret, error) {
	key := storeref.Key{Kind: store.GetKind(), Name: store.GetName()}
	if x.informer == nil {
		opts := []client.ListOption{client.MatchingFields{IndexStore: key.String()}}
		if key.Kind == esv1.SecretStoreKind {
			opts = append(opts, client.InNamespace(store.GetNamespace()))
		}
		var list esv1.ExternalSecretList
		if err := x.reader.List(ctx, &list, opts...); err != nil {
			return nil, err
		}
		out := make([]*esv1.ExternalSecret, len(list.Items))
		for i := range list.Items {
			out[i] = &list.Items[i]
		}
		return out, nil
	}
	items, err := x.informer.ByIndex(IndexStore, storeKey(key, store.GetNamespace()))
	if err != nil {
		return nil, err
	}
	out := make([]*esv1.ExternalSecret, 0, len(items))
	for _, item := range items {
		if es, ok := item.(*esv1.ExternalSecret); ok {
			out = append(out, es)
		}
	}
	return out, nil
}

// appendRequests appends a request for each ExternalSecret of the cache's items, which are
// the cache's own objects: only their names are read.
func appendRequests(out []reconcile.Request, items []any) []reconcile.Request {
	for _, item := range items {
		if es, ok := item.(*esv1.ExternalSecret); ok {
			out = append(out, requestOf(es))
		}
	}
	return out
}

func requestOf(es *esv1.ExternalSecret) reconcile.Request {
	return reconcile.Request{NamespacedName: client.ObjectKeyFromObject(es)}
}

func requests(items []esv1.ExternalSecret) []reconcile.Request {
	out := make([]reconcile.Request, len(items))
	for i := range items {
		out[i] = requestOf(&items[i])
	}
	return out
}
