package rollout

import (
	"context"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// IndexSources maps "secret/<name>" and "configmap/<name>" to the opted-in workloads that
// may watch that source, so that a change finds its workloads without listing them all.
const IndexSources = "ferry.index.rollout-sources"

// SetupWithManager registers, for each workload kind, the sources index and a controller,
// and adds the metadata cache of Secrets and ConfigMaps to the manager.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	opts := r.Options.withDefaults()
	m, err := newMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	sources, err := newSourceCache(mgr.GetConfig(), mgr.GetScheme(), mgr.GetRESTMapper(), mgr.GetHTTPClient(), opts.Namespace)
	if err != nil {
		return err
	}
	if err := mgr.Add(sources); err != nil {
		return err
	}
	governor := NewGovernor(opts, r.now())
	for _, kind := range workloadKinds() {
		if err := mgr.GetFieldIndexer().IndexField(ctx, kind.object(), IndexSources, func(o client.Object) []string {
			return indexKeys(kind, o)
		}); err != nil {
			return err
		}
		kr := &kindReconciler{Reconciler: r, kind: kind, governor: governor, metrics: m,
			sources: sourceReader{cached: r.Client, direct: r.APIReader}}
		err := ctrl.NewControllerManagedBy(mgr).
			Named("rollout-"+strings.ToLower(kind.name)).
			For(kind.object(), builder.WithPredicates(workloadChanged())).
			// Managed Secrets, with their data, from the manager's label-filtered cache.
			Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(kr.forSource(KindSecret))).
			// Every other Secret and every ConfigMap, metadata only.
			WatchesRawSource(source.Kind(sources.Cache, secretMetadata(),
				handler.TypedEnqueueRequestsFromMapFunc(kr.forSourceMetadata(KindSecret)))).
			WatchesRawSource(source.Kind(sources.Cache, configMapMetadata(),
				handler.TypedEnqueueRequestsFromMapFunc(kr.forSourceMetadata(KindConfigMap)))).
			WithOptions(controller.Options{MaxConcurrentReconciles: 2}).
			Complete(kr)
		if err != nil {
			return err
		}
	}
	return nil
}

// indexKeys returns the sources an opted-in workload may watch, as IndexSources keys.
func indexKeys(kind workloadKind, o client.Object) []string {
	optIn := ReadOptIn(o.GetAnnotations())
	if !optIn.Enabled() {
		return nil
	}
	var keys []string
	for _, ref := range optIn.Candidates(References(&kind.template(o).Spec)) {
		keys = append(keys, ref.String())
	}
	return keys
}

// forSource maps a source to the workloads of this controller's kind that may watch it.
func (kr *kindReconciler) forSource(kind SourceKind) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		list := kr.kind.list()
		ref := Ref{Kind: kind, Name: o.GetName()}
		if err := kr.Client.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{IndexSources: ref.String()}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing workloads for a source failed", "source", ref.String())
			return nil
		}
		var requests []reconcile.Request
		_ = meta.EachListItem(list, func(item runtime.Object) error {
			w := item.(client.Object)
			requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: w.GetNamespace(), Name: w.GetName()}})
			return nil
		})
		return requests
	}
}

func (kr *kindReconciler) forSourceMetadata(kind SourceKind) handler.TypedMapFunc[*metav1.PartialObjectMetadata, reconcile.Request] {
	mapFunc := kr.forSource(kind)
	return func(ctx context.Context, o *metav1.PartialObjectMetadata) []reconcile.Request { return mapFunc(ctx, o) }
}

// workloadChanged passes events of workloads that opted in (or that Ferry recorded and
// must forget), when their spec or annotations change; status updates do not pass.
func workloadChanged() predicate.Predicate {
	relevant := func(o client.Object) bool {
		_, recorded := o.GetAnnotations()[AnnotationLastDigests]
		return recorded || ReadOptIn(o.GetAnnotations()).Enabled()
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return relevant(e.Object) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return relevant(e.Object) },
		GenericFunc: func(e event.GenericEvent) bool { return relevant(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if !relevant(e.ObjectOld) && !relevant(e.ObjectNew) {
				return false
			}
			return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() ||
				!maps.Equal(e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations())
		},
	}
}
