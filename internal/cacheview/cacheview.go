// Package cacheview reads the objects of a controller-runtime cache where they are, in its
// informers' stores, instead of through List, which copies every object it returns (or
// shares them in a new list). The cache of every namespace (or of one) shows each informer's
// indexer; a cache of several namespaces does not, and callers fall back to the client.
package cacheview

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
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
