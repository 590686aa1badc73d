package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/digest"
)

// Reconciler restarts opted-in workloads when the data of the Secrets and ConfigMaps they
// watch changes. SetupWithManager registers one controller per workload kind.
type Reconciler struct {
	// Client is the manager's client: workloads and managed Secrets come from its cache.
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
}

func (r *Reconciler) now() func() time.Time {
	if r.Clock != nil {
		return r.Clock
	}
	return time.Now
}

// kindReconciler reconciles the workloads of one kind; governor and metrics are shared.
type kindReconciler struct {
	*Reconciler
	kind     workloadKind
	governor *Governor
	metrics  *metrics
	sources  sourceReader
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
	workload := kr.kind.object()
	if err := kr.Client.Get(ctx, req.NamespacedName, workload); err != nil {
		kr.governor.Forget(key)
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	optIn := ReadOptIn(workload.GetAnnotations())
	if !workload.GetDeletionTimestamp().IsZero() || !optIn.Enabled() {
		kr.governor.Forget(key)
		return ctrl.Result{}, kr.dropRecord(ctx, workload)
	}
	seen, err := kr.observe(ctx, workload, optIn)
	if err != nil {
		return ctrl.Result{}, err
	}
	recorded, present := workload.GetAnnotations()[AnnotationLastDigests]
	decision := Decide(recorded, present, seen.digests, seen.missing)
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

// observe reads the sources the workload watches.
func (kr *kindReconciler) observe(ctx context.Context, workload client.Object, optIn OptIn) (observation, error) {
	seen := observation{digests: map[string]string{}, data: map[string]map[string][]byte{}}
	referenced := References(&kr.kind.template(workload).Spec)
	for _, ref := range optIn.Candidates(referenced) {
		src, err := kr.sources.read(ctx, workload.GetNamespace(), ref)
		if err != nil {
			return seen, err
		}
		if src == nil {
			seen.missing = append(seen.missing, ref.String())
			continue
		}
		if !optIn.Watches(ref, slices.Contains(referenced, ref), src.annotations) {
			continue
		}
		seen.digests[ref.String()] = shortDigest(kr.HashKey.Data(src.data))
		seen.data[ref.String()] = src.data
	}
	return seen, nil
}

// record writes the observed digests on the workload's metadata, leaving the pod template
// alone: nothing restarts.
func (kr *kindReconciler) record(ctx context.Context, workload client.Object, digests map[string]string) error {
	patched := workload.DeepCopyObject().(client.Object)
	setAnnotation(patched, AnnotationLastDigests, FormatDigests(digests))
	if err := kr.Client.Patch(ctx, patched, client.MergeFrom(workload)); err != nil {
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
	patched := workload.DeepCopyObject().(client.Object)
	annotations := patched.GetAnnotations()
	delete(annotations, AnnotationLastDigests)
	patched.SetAnnotations(annotations)
	if err := kr.Client.Patch(ctx, patched, client.MergeFrom(workload)); err != nil {
		return fmt.Errorf("removing recorded source digests: %w", err)
	}
	return nil
}

// rollOut restarts the workload when the governor allows it: one patch sets the pod
// template's digest and records the digests it was computed from.
func (kr *kindReconciler) rollOut(ctx context.Context, key string, workload client.Object, seen observation, decision Decision) (ctrl.Result, error) {
	changed := decision.Changed
	log := ctrl.LoggerFrom(ctx).WithValues("changed", changed)
	if kr.kind.paused(workload) {
		// Nothing is recorded, so the change rolls out once the workload resumes.
		kr.governor.Forget(key)
		kr.metrics.skipped.WithLabelValues(kr.kind.name, ReasonPaused).Inc()
		kr.Recorder.Eventf(workload, nil, corev1.EventTypeNormal, "RolloutSkipped", "Rollout",
			"Not restarting while paused; changed: %s", describe(changed))
		log.Info("Restart skipped: the workload is paused")
		return ctrl.Result{}, nil
	}
	verdict := kr.governor.Admit(key)
	if !verdict.Allowed {
		if verdict.Reason != ReasonWindow && !verdict.Repeat {
			kr.metrics.skipped.WithLabelValues(kr.kind.name, verdict.Reason).Inc()
		}
		log.V(1).Info("Restart waits", "reason", verdict.Reason, "wait", verdict.Wait)
		return ctrl.Result{RequeueAfter: verdict.Wait}, nil
	}
	patched := workload.DeepCopyObject().(client.Object)
	setAnnotation(patched, AnnotationLastDigests, FormatDigests(decision.Digests))
	template := kr.kind.template(patched)
	if template.Annotations == nil {
		template.Annotations = map[string]string{}
	}
	template.Annotations[AnnotationConfigDigest] = kr.HashKey.Parts(seen.data)
	// The optimistic lock makes sure the digest was computed from the current pod template.
	if err := kr.Client.Patch(ctx, patched, client.MergeFromWithOptions(workload, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) { // the workload changed meanwhile: look again
			return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
		}
		return ctrl.Result{}, fmt.Errorf("restarting: %w", err)
	}
	kr.governor.Done(key)
	kr.metrics.rollouts.WithLabelValues(kr.kind.name).Inc()
	kr.Recorder.Eventf(workload, nil, corev1.EventTypeNormal, "RolloutTriggered", "Rollout",
		"Restarting pods: changed %s", describe(changed))
	log.Info("Workload restarted")
	return ctrl.Result{}, nil
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
		kind, name, _ := strings.Cut(s, "/")
		out[i] = Ref{Kind: SourceKind(kind), Name: name}.Display()
	}
	return strings.Join(out, ", ")
}
