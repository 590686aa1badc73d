// Package cacheview reads the objects of a controller-runtime cache where they are, in its
// informers' stores, instead of through List, which copies every object it returns (or
// shares them in a new list). The cache of every namespace (or of one) shows each informer's
// indexer; a cache of several namespaces does not, and callers fall back to the client.
package cacheview

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Informers is what a cache offers to reach its informers.
type Informers interface {
	GetInformer(context.Context, client.Object, ...cache.InformerGetOption) (cache.Informer, error)
}

// Indexer returns the informer of obj's kind in reader and the indexer behind it, without
// waiting for the informer to sync. The informer is nil when reader is not a cache; the
// indexer is nil when the informer hides it. Objects read from the indexer are the cache's
// own: callers must not change them.
func Indexer(ctx context.Context, reader any, obj client.Object) (cache.Informer, toolscache.Indexer, error) {
	informers, ok := reader.(Informers)
	if !ok {
		return nil, nil, nil
	}
	informer, err := informers.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return nil, nil, fmt.Errorf("getting the informer of %T: %w", obj, err)
	}
	indexed, ok := informer.(interface{ GetIndexer() toolscache.Indexer })
	if !ok {
		return informer, nil, nil
	}
	return informer, indexed.GetIndexer(), nil
}

// Has says whether reader holds the object of obj's kind at key: looked up in place in the
// informer's store where the cache shows it, read through Get otherwise (into obj).
func Has(ctx context.Context, reader client.Reader, obj client.Object, key client.ObjectKey) (bool, error) {
	_, indexer, err := Indexer(ctx, reader, obj)
	if err != nil {
		return false, err
	}
	if indexer != nil {
		_, ok, err := indexer.GetByKey(toolscache.ObjectName{Namespace: key.Namespace, Name: key.Name}.String())
		return ok, err
	}
	err = reader.Get(ctx, key, obj)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// TrimMetadata drops from an object about to be cached what no reader of the cache uses:
// its managed fields and kubectl's last-applied-configuration annotation, a second copy of
// the whole manifest as the user last applied it. Only kinds that Ferry never writes back
// whole from the cache may be trimmed (an Update of a trimmed copy would delete the
// annotation): patches computed between two trimmed copies leave it alone.
func TrimMetadata(o client.Object) {
	o.SetManagedFields(nil)
	if a := o.GetAnnotations(); a != nil {
		if _, ok := a[corev1.LastAppliedConfigAnnotation]; ok {
			delete(a, corev1.LastAppliedConfigAnnotation)
			o.SetAnnotations(a)
		}
	}
}

// Index is an index of a namespaced kind's cached objects: in the informer's own indexer,
// read in place, where the cache shows it; otherwise a field index of the manager, read
// through List (a cache of several namespaces). In place, a lookup that matches nothing
// allocates nothing; List allocates its options, its keys and a list even then.
type Index struct {
	name    string
	indexer toolscache.Indexer // nil: the field index, through reader
	reader  client.Reader
	newList func() client.ObjectList
}

// NewIndex indexes obj's kind under name by keys, each key within the object's namespace.
// cache is the manager's cache, fields its field indexer, reader what the fallback lists
// with, newList a new empty list of the kind.
func NewIndex(ctx context.Context, cache any, fields client.FieldIndexer, reader client.Reader, obj client.Object, newList func() client.ObjectList,
	name string, keys client.IndexerFunc) (*Index, error) {
	informer, indexer, err := Indexer(ctx, cache, obj)
	if err != nil {
		return nil, err
	}
	x := &Index{name: name, reader: reader, newList: newList}
	if indexer == nil {
		if err := fields.IndexField(ctx, obj, name, keys); err != nil {
			return nil, fmt.Errorf("indexing %T by %s: %w", obj, name, err)
		}
		return x, nil
	}
	err = informer.AddIndexers(toolscache.Indexers{name: func(o any) ([]string, error) {
		co, ok := o.(client.Object)
		if !ok {
			return nil, fmt.Errorf("indexing %T: not an object", o)
		}
		var out []string
		for _, k := range keys(co) {
			out = append(out, co.GetNamespace()+"/"+k)
		}
		return out, nil
	}})
	if err != nil {
		return nil, fmt.Errorf("indexing %T by %s: %w", obj, name, err)
	}
	x.indexer = indexer
	return x, nil
}

// InPlace says whether the index is read in the informer's own indexer.
func (x *Index) InPlace() bool { return x.indexer != nil }

// Each calls f with every object of namespace indexed under key. Objects read in place are
// the cache's own: f must not change them nor keep them.
func (x *Index) Each(ctx context.Context, namespace, key string, f func(client.Object)) error {
	if x.indexer != nil {
		items, err := x.indexer.ByIndex(x.name, namespace+"/"+key)
		if err != nil {
			return err
		}
		for _, item := range items {
			if o, ok := item.(client.Object); ok {
				f(o)
			}
		}
		return nil
	}
	list := x.newList()
	if err := x.reader.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{x.name: key}); err != nil {
		return err
	}
	return meta.EachListItem(list, func(o runtime.Object) error {
		if co, ok := o.(client.Object); ok {
			f(co)
		}
		return nil
	})
}
