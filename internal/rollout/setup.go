package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/secretmeta"
	"github.com/ferryhq/ferry/internal/shard"
)

// IndexSources maps "secret/<name>", "configmap/<name>" and "secretproviderclass/<name>" to
// the opted-in workloads that may watch that source, so that a change finds its workloads
// without listing them all. A workload that may watch sources it cannot name in advance (a
// regular expression in a reload list; a kind watched as metadata) is indexed under
// "secret/*", "configmap/*" or "secretproviderclass/*". In the informer's own index each key
// is held under the workload's namespace: "<namespace>/secret/<name>" (cacheview.Index).
const IndexSources = "ferry.index.rollout-sources"

// SetupWithManager registers, for each workload kind, the sources index and a controller,
// and adds the metadata cache of Secrets and ConfigMaps and the alert sender to the manager.
// Kinds whose API is not served yet are set up when it appears; so is, with
// --enable-csi-integration, the watch of SecretProviderClassPodStatuses.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	opts := r.Options.withDefaults()
	if err := opts.Validate(); err != nil {
		return err
	}
	m, err := newMetrics(ctrlmetrics.Registry)
	if err != nil {
		return err
	}
	sources, err := newSourceCache(mgr.GetConfig(), mgr.GetScheme(), mgr.GetRESTMapper(), mgr.GetHTTPClient(), opts, r.SecretMetadata != nil, r.Shards)
	if err != nil {
		return err
	}
	if err := mgr.Add(sources); err != nil {
		return err
	}
	secrets := sources.Cache
	if r.SecretMetadata != nil {
		secrets = r.SecretMetadata.Cache
	}
	s := &shared{opts: opts, governor: NewGovernor(opts, r.now()), metrics: m,
		sources: sourceReader{cached: r.Client, direct: r.APIReader, meta: sources.Cache, secretMeta: secrets,
			secretsComplete:    opts.ResourceLabelSelector == "" && !opts.IgnoreSecrets,
			configMapsComplete: opts.ResourceLabelSelector == "" && !opts.IgnoreConfigMaps}}
	if opts.EnableCSIIntegration {
		// Pod statuses are small and hold no secret: the manager's cache keeps them whole.
		s.sources.podStatuses = podStatuses{reader: mgr.GetCache(), served: &atomic.Bool{}}
	}
	s.namespaceSelector, _ = labels.Parse(opts.NamespaceSelector)
	s.resourceSelector, _ = labels.Parse(opts.ResourceLabelSelector)
	if s.alerts = newAlerter(opts.Alerts, m.alerts); s.alerts != nil {
		if err := mgr.Add(s.alerts); err != nil {
			return err
		}
	}
	views, err := newWorkloadCache(mgr.GetConfig(), mgr.GetRESTMapper(), mgr.GetHTTPClient(), opts.Namespaces, r.Shards)
	if err != nil {
		return err
	}
	if err := mgr.Add(views); err != nil {
		return err
	}
	s.events = &sourceEvents{}
	if !opts.IgnoreSecrets {
		// Managed Secrets, with their data, from the manager's label-filtered cache; every
		// other Secret, metadata only.
		if err := s.events.watch(ctx, mgr.GetCache(), &corev1.Secret{}, KindSecret); err != nil {
			return err
		}
		if err := s.events.watch(ctx, secrets, secretmeta.Object(), KindSecret); err != nil {
			return err
		}
	}
	if !opts.IgnoreConfigMaps {
		if err := s.events.watch(ctx, sources.Cache, configMapMetadata(), KindConfigMap); err != nil {
			return err
		}
	}
	w := &apiWaiter{mgr: mgr, poll: opts.APIPollInterval}
	for _, kind := range workloadKinds() {
		if opts.ignoresKind(kind.name) {
			continue
		}
		kr := &kindReconciler{Reconciler: r, shared: s, kind: kind}
		setup := func(ctx context.Context) error {
			if err := kr.setup(ctx, mgr, views, sources.Cache); err != nil {
				return err
			}
			s.reconcilers = append(s.reconcilers, kr)
			return nil
		}
		if !kind.optional {
			if err := setup(ctx); err != nil {
				return err
			}
			continue
		}
		w.add(optionalAPI{name: kind.name, gvk: kind.gvk, setup: setup})
	}
	if opts.EnableCSIIntegration {
		w.add(optionalAPI{name: PodStatusGVK.Kind, gvk: PodStatusGVK, setup: func(ctx context.Context) error {
			s.sources.podStatuses.served.Store(true)
			for _, kr := range s.reconcilers {
				if err := kr.watchPodStatuses(mgr); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	// What is served already is set up now, and a failure stops Ferry, as for any other kind.
	done, err := w.setUpServed(ctx)
	if err != nil || done {
		return err
	}
	return mgr.Add(w)
}

// served says whether the API server serves gvk. Discovery may still list a kind whose CRD
// was just deleted, and an informer on it never syncs: set up before the manager starts, it
// would hold every controller back. So a kind discovery lists is also listed once, live; only
// "not found" means it is gone (a list Ferry may not make cluster-wide still proves it served).
func served(ctx context.Context, mgr ctrl.Manager, gvk schema.GroupVersionKind) bool {
	if _, err := mgr.GetRESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
		return false
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	err := mgr.GetAPIReader().List(ctx, list, client.Limit(1))
	return !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err)
}

// setup registers the index and the controller of one kind: views is the cache of the
// viewed kinds, sources the metadata cache of Namespaces (and ConfigMaps, whose changes come
// through events).
func (kr *kindReconciler) setup(ctx context.Context, mgr ctrl.Manager, views, sources cache.Cache) error {
	kr.workloads, kr.cache, kr.scheme = kr.Client, mgr.GetCache(), mgr.GetScheme()
	switch {
	case kr.kind.viewed:
		kr.workloads, kr.cache, kr.scheme = views, views, ViewScheme
	case kr.kind.optional: // unstructured: the manager's client does not cache it
		kr.workloads = mgr.GetCache()
	}
	if err := kr.indexSources(ctx); err != nil {
		return err
	}
	opts := controller.Options{MaxConcurrentReconciles: 2, SkipNameValidation: new(true)}
	var rec reconcile.Reconciler = kr
	var filter *shard.Filter
	if kr.Shards != nil {
		var err error
		if filter, err = kr.Shards.Filter(kr.workloads, kr.scheme, kr.kind.object()); err != nil {
			return err
		}
		rec = filter.Reconciler(kr)
		opts.NeedLeaderElection = new(false)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		Named("rollout-" + strings.ToLower(kr.kind.name)).
		WatchesRawSource(source.Kind(kr.cache, kr.kind.object(), &handler.EnqueueRequestForObject{}, kr.workloadChanged())).
		WithOptions(opts)
	if filter != nil {
		b = b.WatchesRawSource(filter.Source())
	}
	if !kr.opts.IgnoreSecrets || !kr.opts.IgnoreConfigMaps {
		b = b.WatchesRawSource(kr.events.source(kr))
	}
	if kr.opts.NamespaceSelector != "" {
		b = b.WatchesRawSource(source.Kind(sources, namespaceMetadata(),
			handler.TypedEnqueueRequestsFromMapFunc(kr.forNamespace)))
	}
	c, err := b.Build(rec)
	if err != nil {
		return err
	}
	kr.controller = c
	if kr.sources.podStatuses.enabled() {
		return kr.watchPodStatuses(mgr)
	}
	return nil
}

// watchPodStatuses adds, to the controller of this kind, the watch of
// SecretProviderClassPodStatuses, mapped to the workloads that may watch their class. Only
// changes of a status pass: the driver's writes of metadata alone restart nothing.
func (kr *kindReconciler) watchPodStatuses(mgr ctrl.Manager) error {
	changed := predicate.TypedFuncs[*unstructured.Unstructured]{
		UpdateFunc: func(e event.TypedUpdateEvent[*unstructured.Unstructured]) bool {
			return !equality.Semantic.DeepEqual(e.ObjectOld.Object["status"], e.ObjectNew.Object["status"])
		},
	}
	return kr.controller.Watch(source.Kind(mgr.GetCache(), podStatusObject(),
		handler.TypedEnqueueRequestsFromMapFunc(kr.forPodStatus), changed))
}

// optionalAPI is an API that comes from a CRD, and what to set up once it is served.
type optionalAPI struct {
	name  string
	gvk   schema.GroupVersionKind
	setup func(context.Context) error
}

// apiWaiter sets up what needs an API that was not served at start once it is: a workload
// kind (Argo Rollouts), the watch of SecretProviderClassPodStatuses. It polls every
// APIPollInterval, quietly while an API is absent.
type apiWaiter struct {
	mgr     ctrl.Manager
	poll    time.Duration
	mu      sync.Mutex
	pending []optionalAPI
}

func (w *apiWaiter) add(api optionalAPI) { w.pending = append(w.pending, api) }

// Start polls until every pending API is set up or ctx ends.
func (w *apiWaiter) Start(ctx context.Context) error {
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		done, err := w.setUpServed(ctx)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Setting up restarts for an API failed")
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// setUpServed sets up the pending APIs now served, in order; those not served, and those
// whose setup failed, stay pending. It reports whether none is left, and the failures.
func (w *apiWaiter) setUpServed(ctx context.Context) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var still []optionalAPI
	var errs []error
	for _, api := range w.pending {
		if !served(ctx, w.mgr, api.gvk) {
			still = append(still, api)
			continue
		}
		if err := api.setup(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", api.name, err))
			still = append(still, api)
			continue
		}
		ctrl.LoggerFrom(ctx).Info("API served: restarts set up", "kind", api.name)
	}
	w.pending = still
	return len(still) == 0, errors.Join(errs...)
}

var _ manager.Runnable = &apiWaiter{}

// indexSources registers IndexSources on the informer of the kind (cacheview.Index): a change
// of any Secret or ConfigMap asks every kind for its watchers, and a List through the client
// allocated an empty workload, a list and a copy of every match each time (at 10,000
// unrelated Secrets, most of the operator's allocation at cold start). Where the cache hides
// its informers' indexers (several namespaces) the index is the manager's field index.
func (kr *kindReconciler) indexSources(ctx context.Context) error {
	x, err := cacheview.NewIndex(ctx, kr.cache, kr.cache, kr.workloads, kr.kind.object(),
		kr.kind.list, IndexSources, kr.indexKeys)
	if err != nil {
		return fmt.Errorf("indexing %s by source: %w", kr.kind.name, err)
	}
	kr.watchers = x
	return nil
}

// indexKeys returns the sources an opted-in workload may watch, as IndexSources keys.
func (kr *kindReconciler) indexKeys(o client.Object) []string {
	optIn := kr.optIn(o)
	if !optIn.Enabled() {
		return nil
	}
	if kr.kind.metadataOnly {
		keys := []string{wildcard(KindSecret), wildcard(KindConfigMap)}
		if kr.opts.EnableCSIIntegration {
			keys = append(keys, wildcard(KindSecretProviderClass))
		}
		return keys
	}
	var keys []string
	for _, ref := range optIn.Candidates(References(&kr.kind.template(o).Spec)) {
		keys = append(keys, ref.String())
	}
	for _, kind := range sourceKinds {
		if optIn.Patterns(kind) {
			keys = append(keys, wildcard(kind))
		}
	}
	return keys
}

func wildcard(kind SourceKind) string { return string(kind) + "/*" }

// forPodStatus maps a SecretProviderClassPodStatus to the workloads of this controller's kind
// that may watch its SecretProviderClass.
func (kr *kindReconciler) forPodStatus(ctx context.Context, o *unstructured.Unstructured) []reconcile.Request {
	name := className(o)
	if name == "" {
		return nil
	}
	return kr.watchersOf(ctx, o.GetNamespace(), Ref{Kind: KindSecretProviderClass, Name: name})
}

// watchersOf returns the workloads of this controller's kind in a namespace that may watch a
// source: those indexed under its name, or under its kind's wildcard. Only their names are
// read.
func (kr *kindReconciler) watchersOf(ctx context.Context, namespace string, ref Ref) []reconcile.Request {
	var requests []reconcile.Request
	for _, key := range []string{ref.String(), wildcard(ref.Kind)} {
		err := kr.watchers.Each(ctx, namespace, key, func(o client.Object) {
			request := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)}
			if !slices.Contains(requests, request) {
				requests = append(requests, request)
			}
		})
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing workloads for a source failed", "source", key)
			return nil
		}
	}
	return requests
}

// forNamespace maps a Namespace, whose labels may have changed, to its workloads.
func (kr *kindReconciler) forNamespace(ctx context.Context, ns *metav1.PartialObjectMetadata) []reconcile.Request {
	list := kr.kind.list()
	if err := kr.workloads.List(ctx, list, client.InNamespace(ns.Name)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing workloads of a namespace failed", "namespace", ns.Name)
		return nil
	}
	var requests []reconcile.Request
	_ = meta.EachListItem(list, func(item runtime.Object) error {
		if w := item.(client.Object); kr.relevant(w) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(w)})
		}
		return nil
	})
	return requests
}

// relevant reports whether a workload opted in, or carries a record Ferry must forget.
func (kr *kindReconciler) relevant(o client.Object) bool {
	_, recorded := o.GetAnnotations()[AnnotationLastDigests]
	return recorded || kr.optIn(o).Enabled()
}

// relevant reports, for a kind watched as metadata, whether the workload opted in or
// carries a record.
func relevant(o client.Object, template map[string]string, autoReloadAll bool) bool {
	_, recorded := o.GetAnnotations()[AnnotationLastDigests]
	return recorded || ReadOptIn(o.GetAnnotations(), template, autoReloadAll).Enabled()
}

// workloadChanged passes events of workloads that opted in (or that Ferry recorded and
// must forget), when their spec or annotations change; status updates do not pass.
func (kr *kindReconciler) workloadChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return kr.relevant(e.Object) },
		DeleteFunc:  func(e event.DeleteEvent) bool { return kr.relevant(e.Object) },
		GenericFunc: func(e event.GenericEvent) bool { return kr.relevant(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if !kr.relevant(e.ObjectOld) && !kr.relevant(e.ObjectNew) {
				return false
			}
			return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() ||
				!sameAnnotations(e.ObjectOld, e.ObjectNew)
		},
	}
}
