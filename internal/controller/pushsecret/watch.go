package pushsecret

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/secretmeta"
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

// watchSources makes every change of a Secret reconcile the PushSecrets that read it: managed
// Secrets through the manager's cache, the others through a metadata cache: SourceMetadata,
// or one of the controller's own.
func (r *Reconciler) watchSources(ctx context.Context, mgr ctrl.Manager) (source.Source, error) {
	var err error
	r.sources, err = cacheview.NewIndex(ctx, mgr.GetCache(), mgr.GetFieldIndexer(), r.Client, &esv1alpha1.PushSecret{},
		func() client.ObjectList { return &esv1alpha1.PushSecretList{} }, IndexSource, sourceKeys)
	if err != nil {
		return nil, err
	}
	sources := r.SourceMetadata
	if sources == nil {
		// Of each source it keeps the labels, which label selectors read; no annotation.
		own, err := secretmeta.New(mgr.GetConfig(), mgr.GetScheme(), mgr.GetRESTMapper(), mgr.GetHTTPClient(),
			secretmeta.Options{Namespaces: r.Namespaces, Labels: true, NewInformer: r.Shards.NewInformer(mgr.GetScheme())})
		if err != nil {
			return nil, fmt.Errorf("creating the source Secret cache: %w", err)
		}
		if err := mgr.Add(own); err != nil {
			return nil, fmt.Errorf("adding the source Secret cache: %w", err)
		}
		sources = &own
	}
	return source.Kind[client.Object](sources.Cache, secretmeta.Object(), handler.EnqueueRequestsFromMapFunc(r.forSource)), nil
}

// forSource maps a Secret to the PushSecrets of its namespace that read it: those naming it,
// and those whose label selector matches it. Every event of every Secret asks, and most
// Secrets are no PushSecret's source: the index is read in place, without copies.
func (r *Reconciler) forSource(ctx context.Context, secret client.Object) []reconcile.Request {
	var out []reconcile.Request
	add := func(o client.Object) {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	}
	if err := r.sources.Each(ctx, secret.GetNamespace(), secret.GetName(), add); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing PushSecrets for a source Secret failed")
		return nil
	}
	err := r.sources.Each(ctx, secret.GetNamespace(), bySelector, func(o client.Object) {
		ps, ok := o.(*esv1alpha1.PushSecret)
		if !ok || ps.Spec.Selector.Secret == nil {
			return
		}
		sel, err := metav1.LabelSelectorAsSelector(ps.Spec.Selector.Secret.Selector)
		if err == nil && sel.Matches(labels.Set(secret.GetLabels())) {
			add(o)
		}
	})
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing PushSecrets for a source Secret failed")
		return nil
	}
	return out
}
