package externalsecret

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/storeref"
)

// SetupWithManager registers the indexes, watches and the controller.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts controller.Options) error {
	index, err := setUpIndex(ctx, mgr, r.Client)
	if err != nil {
		return err
	}
	r.index = index

	// Our own status writes change neither generation, labels nor annotations.
	esChanged := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("externalsecret").
		For(&esv1.ExternalSecret{}, builder.WithPredicates(esChanged)).
		Watches(&corev1.Secret{}, secretEvents{EventHandler: handler.EnqueueRequestsFromMapFunc(r.forSecret), echoes: &r.echoes}).
		Watches(&esv1.SecretStore{}, handler.EnqueueRequestsFromMapFunc(r.forStore), builder.WithPredicates(storeref.Changed()))
	if len(r.Namespaces) == 0 {
		b = b.Watches(&esv1.ClusterSecretStore{}, handler.EnqueueRequestsFromMapFunc(r.forStore), builder.WithPredicates(storeref.Changed()))
	}
	for _, watched := range r.genericWatches(ctx, mgr) {
		// A change made to a generic target outside Ferry is repaired, as for a Secret.
		b = b.WatchesMetadata(watched, handler.EnqueueRequestsFromMapFunc(r.forSecret), builder.WithPredicates(managedOnly()))
	}
	if r.Changes != nil {
		// Objects whose keys a provider reported changed.
		b = b.WatchesRawSource(r.Changes.Source(esv1.ExtSecretKind))
	}
	var rec reconcile.Reconciler = r
	if r.Shards != nil {
		filter, err := r.Shards.Filter(mgr.GetCache(), mgr.GetScheme(), &esv1.ExternalSecret{})
		if err != nil {
			return err
		}
		filter.OnLost(func(key types.NamespacedName) {
			// The new owner's syncs do not reach this replica's memory of the last one.
			r.forgetSync(key)
			r.pendingStatus.Delete(key)
			r.Metrics.Forget(metrics.ExternalSecret, key)
			r.Changes.Forget(fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: key.Namespace, Name: key.Name})
		})
		b = b.WatchesRawSource(filter.Source())
		rec = filter.Reconciler(r)
		opts.NeedLeaderElection = new(false)
	}
	return b.WithOptions(opts).Complete(rec)
}

// genericWatches are the kinds of generic targets to watch, metadata only: the allowed
// kinds the API server serves when Ferry starts (ConfigMaps when every kind is allowed).
// A kind installed later, or any other kind, is repaired at the next refresh instead: a
// watch on a kind the API server does not serve would stop the controller from starting.
func (r *Reconciler) genericWatches(ctx context.Context, mgr ctrl.Manager) []*metav1.PartialObjectMetadata {
	if !r.GenericTargets.Enabled {
		return nil
	}
	kinds := r.GenericTargets.Kinds
	if len(kinds) == 0 {
		kinds = []schema.GroupKind{{Kind: "ConfigMap"}}
	}
	var out []*metav1.PartialObjectMetadata
	for _, gk := range kinds {
		mapping, err := mgr.GetRESTMapper().RESTMapping(gk)
		if err != nil {
			ctrl.LoggerFrom(ctx).Info("Not watching a generic target kind: the API server does not serve it; its targets are repaired at each refresh",
				"kind", gk.String(), "error", err.Error())
			continue
		}
		if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
			continue
		}
		if err := r.mayWatch(ctx, mgr, mapping.Resource); err != nil {
			// A watch Ferry may not open would keep every ExternalSecret from syncing.
			ctrl.LoggerFrom(ctx).Info("Not watching a generic target kind: its targets are repaired at each refresh",
				"kind", gk.String(), "reason", err.Error())
			continue
		}
		watched := &metav1.PartialObjectMetadata{}
		watched.SetGroupVersionKind(mapping.GroupVersionKind)
		out = append(out, watched)
	}
	return out
}

// mayWatch asks the API server whether Ferry may list and watch resource where it serves.
func (r *Reconciler) mayWatch(ctx context.Context, mgr ctrl.Manager, resource schema.GroupVersionResource) error {
	// Uncached: the manager's client waits to read back what it creates, and a review is
	// never stored.
	c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), HTTPClient: mgr.GetHTTPClient()})
	if err != nil {
		return err
	}
	namespaces := r.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	for _, ns := range namespaces {
		for _, verb := range []string{"list", "watch"} {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: resource.Group, Resource: resource.Resource}}}
			if err := c.Create(ctx, review); err != nil {
				return fmt.Errorf("asking whether %s on %s is allowed: %w", verb, resource.GroupResource(), err)
			}
			if !review.Status.Allowed {
				return fmt.Errorf("not allowed to %s %s (grant it, e.g. with the chart's genericTargets.kinds)", verb, resource.GroupResource())
			}
		}
	}
	return nil
}

// managedOnly passes events of objects that carry Ferry's managed label (before or after).
func managedOnly() predicate.Predicate {
	managed := func(o client.Object) bool { return o.GetLabels()[esv1.LabelManaged] == esv1.LabelManagedValue }
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return managed(e.Object) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return managed(e.Object) },
		UpdateFunc:  func(e event.UpdateEvent) bool { return managed(e.ObjectOld) || managed(e.ObjectNew) },
		GenericFunc: func(e event.GenericEvent) bool { return managed(e.Object) },
	}
}

// forSecret maps a managed Secret (or generic target) to the ExternalSecrets that target it.
func (r *Reconciler) forSecret(ctx context.Context, o client.Object) []reconcile.Request {
	out, err := r.index.writersOf(ctx, o.GetNamespace(), o.GetName())
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing ExternalSecrets for a Secret failed")
	}
	return r.echoes.drop(o, out)
}

// forStore maps a store to the ExternalSecrets that read from it.
func (r *Reconciler) forStore(ctx context.Context, o client.Object) []reconcile.Request {
	out, err := r.index.readersOf(ctx, o.(esv1.GenericStore))
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing ExternalSecrets for a store failed")
	}
	return out
}
