package secretmeta

import (
	"context"
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/cacheview"
)

// Meta is what a cache of every namespace keeps of a Secret: its name, namespace and
// resourceVersion (an informer tells an update from a resync by it), and the labels and
// annotations asked for. A PartialObjectMetadata is 264 bytes before any of its fields is set
// and its strings as many allocations; clusters hold a Secret per Helm release revision, most
// of them nobody's source. Meta is 64 bytes, and the namespaces it names are shared.
//
// The cache stores Meta in place of the PartialObjectMetadata it decodes (the transform), so
// it cannot be read through the cache's Get and List, which return the decoded type: Has and
// Names read the informer's store. Watches receive Meta as a client.Object. Everything of
// metav1.Object that Meta does not keep reads as empty and is not kept when set
// (cacheview.Unkept).
type Meta struct {
	cacheview.Unkept
	Namespace, Name, ResourceVersion string
	Labels, Annotations              map[string]string
}

var _ client.Object = &Meta{}

// GetNamespace returns the Secret's namespace.
func (m *Meta) GetNamespace() string { return m.Namespace }

// SetNamespace sets the Secret's namespace.
func (m *Meta) SetNamespace(ns string) { m.Namespace = ns }

// GetName returns the Secret's name.
func (m *Meta) GetName() string { return m.Name }

// SetName sets the Secret's name.
func (m *Meta) SetName(name string) { m.Name = name }

// GetResourceVersion returns the Secret's resourceVersion.
func (m *Meta) GetResourceVersion() string { return m.ResourceVersion }

// SetResourceVersion sets the Secret's resourceVersion.
func (m *Meta) SetResourceVersion(v string) { m.ResourceVersion = v }

// GetLabels returns the Secret's labels, when the cache keeps them.
func (m *Meta) GetLabels() map[string]string { return m.Labels }

// SetLabels sets the Secret's labels.
func (m *Meta) SetLabels(l map[string]string) { m.Labels = l }

// GetAnnotations returns the annotations the cache keeps.
func (m *Meta) GetAnnotations() map[string]string { return m.Annotations }

// SetAnnotations sets the annotations.
func (m *Meta) SetAnnotations(a map[string]string) { m.Annotations = a }

// GetObjectKind returns the kind of every Meta: a v1 Secret.
func (*Meta) GetObjectKind() schema.ObjectKind { return secretKind }

// DeepCopyObject copies the Meta.
func (m *Meta) DeepCopyObject() runtime.Object {
	out := *m
	out.Labels, out.Annotations = maps.Clone(m.Labels), maps.Clone(m.Annotations)
	return &out
}

// secretKind is the fixed kind of Meta: setting it changes nothing.
var secretKind = fixedKind{schema.GroupVersionKind{Version: "v1", Kind: "Secret"}}

type fixedKind struct{ gvk schema.GroupVersionKind }

func (k fixedKind) GroupVersionKind() schema.GroupVersionKind { return k.gvk }
func (fixedKind) SetGroupVersionKind(schema.GroupVersionKind) {}

// Has says whether the Secret key is in c, a Secret metadata cache of this package or any
// reader of PartialObjectMetadata (read through Get when it shows no store).
func Has(ctx context.Context, c client.Reader, key client.ObjectKey) (bool, error) {
	ok, err := cacheview.Has(ctx, c, Object(), key)
	if err != nil {
		return false, fmt.Errorf("reading the metadata of Secret %s: %w", key.Name, err)
	}
	return ok, nil
}

// Names lists the names of the Secrets of namespace in c, a Secret metadata cache of this
// package or any reader of PartialObjectMetadata (read through List when it shows no store).
func Names(ctx context.Context, c client.Reader, namespace string) ([]string, error) {
	_, indexer, err := cacheview.Indexer(ctx, c, Object())
	if err != nil {
		return nil, err
	}
	var out []string
	if indexer != nil {
		items, err := indexer.ByIndex(toolscache.NamespaceIndex, namespace)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			if m, err := meta.Accessor(item); err == nil {
				out = append(out, m.GetName())
			}
		}
		return out, nil
	}
	list := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "SecretList"}}
	if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing Secrets: %w", err)
	}
	for i := range list.Items {
		out = append(out, list.Items[i].Name)
	}
	return out, nil
}
