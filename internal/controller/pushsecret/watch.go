package pushsecret

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// IndexSource maps the name of a source Secret to the PushSecrets that name it in
// spec.selector.secret.name; PushSecrets that select their sources by labels are indexed
// under bySelector.
const IndexSource = "ferry.index.pushsecret.source"

// bySelector is the IndexSource key of PushSecrets whose sources are chosen by labels. It
// is not a valid Secret name, so no Secret is mistaken for it.
const bySelector = "*selector"

// sourceKeys is what IndexSource records of a PushSecret.
func sourceKeys(o client.Object) []string {
	sel := o.(*esv1alpha1.PushSecret).Spec.Selector.Secret
	switch {
	case sel == nil:
		return nil
	case sel.Name != "":
		return []string{sel.Name}
	case sel.Selector != nil:
		return []string{bySelector}
	}
	return nil
}

// sourceCache holds the metadata of the Secrets Ferry does not manage (managed ones are in
// the manager's cache, with their data), so that a change of a source Secret reaches its
// PushSecrets at once. It is a cache of its own: the manager's keys its settings by kind,
// so a metadata watch of Secrets there would see only managed Secrets. GetCache makes the
// manager start it with its own caches, before any controller.
type sourceCache struct{ cache.Cache }

// GetCache returns the cache itself.
func (c sourceCache) GetCache() cache.Cache { return c.Cache }

func secretMetadata() *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}
}

// newSourceCache builds the metadata cache of unmanaged Secrets, in the one namespace
// served when there is one. Each object keeps its name, namespace, labels and version: not
// its annotations, among which kubectl's last-applied-configuration holds a Secret's data.
func (r *Reconciler) newSourceCache(mgr ctrl.Manager) (sourceCache, error) {
	notManaged, err := labels.NewRequirement(esv1.LabelManaged, selection.NotEquals, []string{esv1.LabelManagedValue})
	if err != nil {
		return sourceCache{}, fmt.Errorf("selecting unmanaged Secrets: %w", err)
	}
	opts := cache.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), HTTPClient: mgr.GetHTTPClient(),
		ByObject: map[client.Object]cache.ByObject{secretMetadata(): {
			Label: labels.NewSelector().Add(*notManaged), Transform: slimSourceMetadata}}}
	for _, ns := range r.Namespaces {
		if opts.DefaultNamespaces == nil {
			opts.DefaultNamespaces = map[string]cache.Config{}
		}
		opts.DefaultNamespaces[ns] = cache.Config{}
	}
	c, err := cache.New(mgr.GetConfig(), opts)
	if err != nil {
		return sourceCache{}, fmt.Errorf("creating the source Secret metadata cache: %w", err)
	}
	return sourceCache{c}, nil
}

// slimSourceMetadata keeps a source's identity and labels (which label selectors read).
func slimSourceMetadata(in any) (any, error) {
	if m, ok := in.(*metav1.PartialObjectMetadata); ok {
		m.Annotations, m.ManagedFields, m.OwnerReferences = nil, nil, nil
	}
	return in, nil
}

// watchSources makes every change of a Secret reconcile the PushSecrets that read it: managed
// Secrets through the manager's cache, the others through a metadata cache of their own.
func (r *Reconciler) watchSources(ctx context.Context, mgr ctrl.Manager) (source.Source, error) {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &esv1alpha1.PushSecret{}, IndexSource, sourceKeys); err != nil {
		return nil, fmt.Errorf("indexing PushSecrets by source: %w", err)
	}
	sources, err := r.newSourceCache(mgr)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(sources); err != nil {
		return nil, fmt.Errorf("adding the source Secret cache: %w", err)
	}
	return source.Kind(sources.Cache, secretMetadata(),
		handler.TypedEnqueueRequestsFromMapFunc(func(ctx context.Context, o *metav1.PartialObjectMetadata) []reconcile.Request {
			return r.forSource(ctx, o)
		})), nil
}

// forSource maps a Secret to the PushSecrets of its namespace that read it: those naming it,
// and those whose label selector matches it.
func (r *Reconciler) forSource(ctx context.Context, secret client.Object) []reconcile.Request {
	var named, selecting esv1alpha1.PushSecretList
	ns := client.InNamespace(secret.GetNamespace())
	if err := r.Client.List(ctx, &named, ns, client.MatchingFields{IndexSource: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing PushSecrets for a source Secret failed")
		return nil
	}
	if err := r.Client.List(ctx, &selecting, ns, client.MatchingFields{IndexSource: bySelector}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing PushSecrets for a source Secret failed")
		return nil
	}
	var out []reconcile.Request
	for _, ps := range named.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ps.Namespace, Name: ps.Name}})
	}
	for _, ps := range selecting.Items {
		sel, err := metav1.LabelSelectorAsSelector(ps.Spec.Selector.Secret.Selector)
		if err == nil && sel.Matches(labels.Set(secret.GetLabels())) {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ps.Namespace, Name: ps.Name}})
		}
	}
	return out
}
