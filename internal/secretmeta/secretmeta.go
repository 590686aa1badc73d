package secretmeta

import (
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/cachesync"
	"github.com/ferryhq/ferry/internal/cacheview"
)

// Object returns an empty Secret metadata object: the type the cache holds, to watch or get.
func Object() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}
}

// Cache is a cache of Secret metadata. GetCache makes the manager start it with its own
// caches, before any controller: add it to the manager once, whoever uses it.
type Cache struct{ cache.Cache }

// GetCache returns the cache itself.
func (c Cache) GetCache() cache.Cache { return c.Cache }

// Options say which Secrets the cache holds and what it keeps of each.
type Options struct {
	// Namespaces restricts the cache to these namespaces; none caches every namespace.
	Namespaces []string
	// Selector narrows the Secrets down, besides leaving out the managed ones; nil or empty
	// narrows nothing.
	Selector labels.Selector
	// Labels keeps each Secret's labels, for users that select Secrets by label.
	Labels bool
	// Annotation says which annotations to keep; nil keeps none.
	Annotation func(key string) bool
	// NewInformer builds the informer (cache.Options.NewInformer): with sharding, one that
	// holds the Secrets of this replica's shards only. nil: controller-runtime's.
	NewInformer func(toolscache.ListerWatcher, runtime.Object, time.Duration, toolscache.Indexers) toolscache.SharedIndexInformer
}

// New returns a cache of the metadata of the Secrets that do not carry Ferry's managed label
// (managed ones are in the manager's cache, with their data). Of each it keeps the name,
// namespace and resourceVersion (which tells an informer an update from a resync), and the
// labels and annotations opts ask for: never the uid, managed fields or owners. A cache of
// every namespace holds them as Meta (read them with Has and Names); one of some namespaces
// as PartialObjectMetadata. Watches receive either as a client.Object.
func New(cfg *rest.Config, scheme *runtime.Scheme, mapper meta.RESTMapper, httpClient *http.Client, opts Options) (Cache, error) {
	notManaged, err := labels.NewRequirement(esv1.LabelManaged, selection.NotEquals, []string{esv1.LabelManagedValue})
	if err != nil {
		return Cache{}, fmt.Errorf("selecting unmanaged Secrets: %w", err)
	}
	selector := opts.Selector
	if selector == nil {
		selector = labels.NewSelector()
	}
	slim := opts.slim
	if len(opts.Namespaces) == 0 {
		// A cache of every namespace shows its informer's store, which Has and Names read:
		// it keeps Meta. A cache of some namespaces hides it, and is read through Get and
		// List, which return only the type decoded.
		slim = opts.compact(cacheview.NewCompactor())
	}
	cacheOpts := cache.Options{Scheme: scheme, Mapper: mapper, HTTPClient: httpClient,
		ByObject:    map[client.Object]cache.ByObject{Object(): {Label: selector.Add(*notManaged), Transform: slim}},
		NewInformer: opts.NewInformer}
	for _, ns := range opts.Namespaces {
		if cacheOpts.DefaultNamespaces == nil {
			cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		}
		cacheOpts.DefaultNamespaces[ns] = cache.Config{}
	}
	c, err := cachesync.New(cfg, cacheOpts)
	if err != nil {
		return Cache{}, fmt.Errorf("creating the Secret metadata cache: %w", err)
	}
	return Cache{c}, nil
}

// slim drops what the cache does not keep of a Secret's metadata.
func (opts Options) slim(in any) (any, error) {
	m, ok := in.(*metav1.PartialObjectMetadata)
	if !ok {
		return in, nil
	}
	var kept map[string]string
	for k, v := range m.Annotations {
		if opts.Annotation != nil && opts.Annotation(k) {
			if kept == nil {
				kept = map[string]string{}
			}
			kept[k] = v
		}
	}
	m.Annotations, m.ManagedFields, m.OwnerReferences, m.UID = kept, nil, nil, ""
	if !opts.Labels {
		m.Labels = nil
	}
	return m, nil
}

// compact returns the transform that keeps each Secret as a Meta, its namespace shared: a
// cluster has few namespaces and many Secrets in each.
func (opts Options) compact(shared *cacheview.Compactor) func(any) (any, error) {
	return func(in any) (any, error) {
		out, err := opts.slim(in)
		m, ok := out.(*metav1.PartialObjectMetadata)
		if err != nil || !ok {
			return out, err
		}
		kept := &Meta{Namespace: m.Namespace, Name: m.Name, ResourceVersion: m.ResourceVersion,
			Labels: m.Labels, Annotations: m.Annotations}
		shared.Share(&kept.Namespace)
		return kept, nil
	}
}
