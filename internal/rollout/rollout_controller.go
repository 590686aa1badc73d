package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/secretmeta"
	"github.com/ferryhq/ferry/internal/shard"
)

// Reconciler restarts opted-in workloads when the data of the Secrets and ConfigMaps they
// watch changes, or the versions of the SecretProviderClasses they mount. SetupWithManager registers one controller per workload kind.
type Reconciler struct {
	// Client reads the manager's cache (managed Secrets, Jobs, Argo Rollouts) and writes
	// restarts and digest records. It must not be the manager's client with read-your-writes
	// consistency, which keeps an informer of every kind and form it writes: a restart would
	// cache every Deployment whole, a digest record every workload's metadata. The rollout
	// reads workloads from views of its own and, before a write, from the API server, whose
	// copy must be the view's own version (kindReconciler.whole): it never reads back what it
	// wrote.
	Client client.Client
	// APIReader reads other Secrets and ConfigMaps without caching them.
	APIReader client.Reader
	// Recorder records an event on each workload restarted or held back while paused.
	Recorder events.EventRecorder
	// HashKey keys every digest Ferry writes; it must stay the same across restarts.
	HashKey digest.Key
	// Options govern the restarts.
	Options Options
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// SecretMetadata, when set, is the metadata cache of unmanaged Secrets shared with other
	// controllers, already added to the manager. It must hold the Secrets the
	// ResourceLabelSelector selects and keep the annotations IsSourceAnnotation names; nil
	// makes the rollout cache them itself.
	SecretMetadata *secretmeta.Cache
	// Shards, when set, confines the controllers to the workloads of this replica's shards
	// and runs them on every replica, leader or not; nil restarts every workload (on the
	// leader).
	Shards *shard.Gate
}

func (r *Reconciler) now() func() time.Time {
	if r.Clock != nil {
		return r.Clock
	}
	return time.Now
}

// shared is what every kind's controller shares: parsed options, governor, metrics, sources.
type shared struct {
	opts              Options
	namespaceSelector labels.Selector
	resourceSelector  labels.Selector
	governor          *Governor
	metrics           *metrics
	sources           sourceReader
	alerts            *alerter
	train             train
	// events hands the changes of Secrets and ConfigMaps to every kind's controller.
	events *sourceEvents
	// reconcilers are the kinds set up so far, for watches added when an API appears.
	reconcilers []*kindReconciler
}

// kindReconciler reconciles the workloads of one kind.
type kindReconciler struct {
	*Reconciler
	*shared
	kind workloadKind
	// workloads reads workloads of the kind: the cache of views for viewed kinds, the
	// manager's client for Jobs (as metadata), or for unstructured kinds (which that client
	// does not cache) the manager's cache itself.
	workloads client.Reader
	// cache is the cache that holds the kind (the views' or the manager's), and scheme the
	// scheme that names its objects.
	cache  cache.Cache
	scheme *runtime.Scheme
	// watchers is the index of the kind's workloads by the sources they may watch.
	watchers *cacheview.Index
	// controller is the kind's controller, to which watches are added when an API appears.
	controller controller.Controller
}

// observation is what Ferry sees of a workload's watched sources: the short digest of
// each, their data for the pod-template digest, and the candidates that do not exist.
type observation struct {
	digests map[string]string
	data    map[string]map[string][]byte
	missing []string
}

// Reconcile compares the watched sources of one workload with what Ferry recorded and
// records, restarts, or waits.
func (kr *kindReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	key := kr.kind.name + "/" + req.String()
	workload, err := kr.get(ctx, req)
	if workload == nil || err != nil {
		kr.governor.Forget(key)
		kr.forgetHealth(key)
		return ctrl.Result{}, err
	}
	served, err := kr.namespaceServed(ctx, workload.GetNamespace())
	if err != nil || !served {
		kr.governor.Forget(key)
		kr.forgetHealth(key)
		return ctrl.Result{}, err
	}
	optIn := kr.optIn(workload)
	if !workload.GetDeletionTimestamp().IsZero() || !optIn.Enabled() {
		kr.governor.Forget(key)
		kr.forgetHealth(key)
		return ctrl.Result{}, kr.dropRecord(ctx, workload)
	}
	if len(optIn.Invalid) > 0 {
		ctrl.LoggerFrom(ctx).Info("Reload list entries are not regular expressions and match nothing", "entries", optIn.Invalid)
	}
	healthIn, err := kr.checkHealth(ctx, key, workload)
	if err != nil {
		return ctrl.Result{}, err
	}
	workload, resumeIn, err := kr.resumeIfDue(ctx, workload)
	if err != nil || workload == nil { // nil: the cache is behind the API server
		return ctrl.Result{RequeueAfter: resumeIn}, err
	}
	result, err := kr.reconcileSources(ctx, key, workload, optIn)
	return sooner(sooner(result, healthIn), resumeIn), err
}

// reconcileSources compares the watched sources with the record, and records, restarts or
// waits.
func (kr *kindReconciler) reconcileSources(ctx context.Context, key string, workload client.Object, optIn OptIn) (ctrl.Result, error) {
	seen, err := kr.observe(ctx, workload, optIn)
	if err != nil {
		return ctrl.Result{}, err
	}
	recorded, present := workload.GetAnnotations()[AnnotationLastDigests]
	decision := Decide(recorded, present, seen.digests, seen.missing, Policy{OnCreate: kr.opts.ReloadOnCreate, OnDelete: kr.opts.ReloadOnDelete})
	switch decision.Action {
	case Nothing:
		kr.governor.Forget(key)
		ctrl.LoggerFrom(ctx).V(1).Info("Workload up to date", "sources", len(seen.digests))
		return ctrl.Result{}, nil
	case Record:
		kr.governor.Forget(key)
		return ctrl.Result{}, kr.record(ctx, workload, decision.Digests)
	default:
		return kr.rollOut(ctx, key, workload, seen, decision)
	}
}

// sooner returns the result with RequeueAfter at most d (d zero leaves it as it is).
func sooner(result ctrl.Result, d time.Duration) ctrl.Result {
	if d > 0 && (result.RequeueAfter == 0 || d < result.RequeueAfter) {
		result.RequeueAfter = d
	}
	return result
}

// get reads the workload; nil when it is gone. A kind watched as metadata is read in full
// from the API server, and only when its own annotations opt it in.
func (kr *kindReconciler) get(ctx context.Context, req ctrl.Request) (client.Object, error) {
	workload := kr.kind.object()
	if err := kr.workloads.Get(ctx, req.NamespacedName, workload); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if !kr.kind.metadataOnly || !relevant(workload, nil, false) {
		return workload, nil
	}
	full := kr.kind.full()
	if err := kr.APIReader.Get(ctx, req.NamespacedName, full); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return full, nil
}

// optIn reads what the workload asks for. Kinds watched as metadata opt in through their
// own metadata only, and one by one: --auto-reload-all does not cover them. Without
// --enable-csi-integration, the SecretProviderClass annotations are not read, so a workload
// that asks only for those is not recorded.
func (kr *kindReconciler) optIn(workload client.Object) OptIn {
	var o OptIn
	if kr.kind.metadataOnly {
		o = ReadOptIn(workload.GetAnnotations(), nil, false)
	} else {
		o = ReadOptIn(workload.GetAnnotations(), kr.kind.template(workload).Annotations, kr.opts.AutoReloadAll)
	}
	if !kr.opts.EnableCSIIntegration {
		o.SecretProviderClasses = Rule{}
	}
	return o
}

// namespaceServed applies --namespaces-to-ignore and --namespace-selector.
func (kr *kindReconciler) namespaceServed(ctx context.Context, namespace string) (bool, error) {
	if slices.Contains(kr.opts.NamespacesToIgnore, namespace) {
		return false, nil
	}
	if kr.namespaceSelector == nil || kr.namespaceSelector.Empty() {
		return true, nil
	}
	ns := namespaceMetadata()
	if err := kr.sources.meta.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return kr.namespaceSelector.Matches(labels.Set(ns.Labels)), nil
}

// observe reads the sources the workload watches. A source the pod template uses only
// through some keys is digested over those keys only.
func (kr *kindReconciler) observe(ctx context.Context, workload client.Object, optIn OptIn) (observation, error) {
	seen := observation{digests: map[string]string{}, data: map[string]map[string][]byte{}}
	ns := workload.GetNamespace()
	scopes := Scopes(&kr.kind.template(workload).Spec)
	candidates, err := kr.candidates(ctx, ns, optIn, References(&kr.kind.template(workload).Spec))
	if err != nil {
		return seen, err
	}
	recorded := ParseDigests(workload.GetAnnotations()[AnnotationLastDigests])
	for _, ref := range candidates {
		scope, referenced := scopes[ref]
		name := recordName(ref, scope, referenced)
		// A source the caches do not hold is asked of the API server when a wrong "missing"
		// would matter: the record says it existed (the caches may lag behind a hand-off or
		// a re-creation), or its creation restarts (--reload-on-create).
		confirm := kr.opts.ReloadOnCreate || (recorded[name] != "" && recorded[name] != Absent)
		src, err := kr.sources.read(ctx, ns, ref, confirm)
		if err != nil {
			return seen, err
		}
		if src == nil {
			seen.missing = append(seen.missing, name)
			continue
		}
		if !kr.selects(ref, src) || !optIn.Watches(ref, referenced, src.annotations) {
			continue
		}
		if src.held {
			if digest, ok := recorded[name]; ok {
				seen.digests[name] = digest
			}
			continue
		}
		data := scoped(src.data, scope, referenced)
		seen.digests[name] = shortDigest(kr.HashKey.Data(data))
		seen.data[name] = data
	}
	return seen, nil
}

// selects applies --resource-label-selector, to Secrets and ConfigMaps: a SecretProviderClass
// has no labels of the user's to select by.
func (kr *kindReconciler) selects(ref Ref, src *sourceData) bool {
	return ref.Kind == KindSecretProviderClass || kr.resourceSelector.Matches(labels.Set(src.labels))
}

// candidates returns the sources to read: those the annotations name or the pod template
// uses, and those of the namespace that a regular expression of a reload list matches.
func (kr *kindReconciler) candidates(ctx context.Context, namespace string, optIn OptIn, referenced []Ref) ([]Ref, error) {
	var out []Ref
	for _, ref := range optIn.Candidates(referenced) {
		if !kr.opts.ignoresSource(ref.Kind) {
			out = append(out, ref)
		}
	}
	for _, kind := range sourceKinds {
		if kr.opts.ignoresSource(kind) || !optIn.Patterns(kind) {
			continue
		}
		names, err := kr.sources.names(ctx, namespace, kind)
		if err != nil {
			return nil, err
		}
		rule := optIn.Rule(kind)
		for _, name := range names {
			if rule.named(name) {
				out = append(out, Ref{Kind: kind, Name: name})
			}
		}
	}
	slices.SortFunc(out, compareRefs)
	return slices.Compact(out), nil
}

// record writes the observed digests on the workload's metadata, leaving the pod template
// alone: nothing restarts.
func (kr *kindReconciler) record(ctx context.Context, workload client.Object, digests map[string]string) error {
	if err := kr.patchAnnotation(ctx, workload, AnnotationLastDigests, new(FormatDigests(digests))); err != nil {
		return fmt.Errorf("recording source digests: %w", err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Recorded source digests", "sources", len(digests))
	return nil
}

// dropRecord removes the recorded digests of a workload that no longer opts in, so that
// opting in again starts from a fresh record instead of an old one.
func (kr *kindReconciler) dropRecord(ctx context.Context, workload client.Object) error {
	if _, ok := workload.GetAnnotations()[AnnotationLastDigests]; !ok || !workload.GetDeletionTimestamp().IsZero() {
		return nil
	}
	if err := kr.patchAnnotation(ctx, workload, AnnotationLastDigests, nil); err != nil {
		return fmt.Errorf("removing recorded source digests: %w", err)
	}
	return nil
}

// patchAnnotation sets one annotation of the workload (removes it, value nil) with a merge
// patch of its metadata alone, whatever the workload was read as (a view, metadata, whole).
func (kr *kindReconciler) patchAnnotation(ctx context.Context, workload client.Object, key string, value *string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]*string{key: value}}})
	if err != nil {
		return err
	}
	target := metadataOf(kr.kind.gvk)
	target.Namespace, target.Name = workload.GetNamespace(), workload.GetName()
	return kr.Client.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch))
}

func setAnnotation(o client.Object, key, value string) {
	annotations := o.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	o.SetAnnotations(annotations)
}

// describe turns "secret/a", "configmap/b" into "Secret a, ConfigMap b".
func describe(sources []string) string {
	out := make([]string, len(sources))
	for i, s := range sources {
		out[i] = parseRef(s).Display()
	}
	return strings.Join(out, ", ")
}

// parseRef reads a record name back into the source it names.
func parseRef(s string) Ref {
	kind, name, _ := strings.Cut(s, "/")
	name, _, _ = strings.Cut(name, ":")
	return Ref{Kind: SourceKind(kind), Name: name}
}

func isConflict(err error) bool { return apierrors.IsConflict(err) }
