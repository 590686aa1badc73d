package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Rollout strategies of an Argo Rollout (ReloaderRolloutStrategy).
const (
	rolloutStrategyRollout = "rollout"
	rolloutStrategyRestart = "restart"
)

// rollOut restarts the workload when the governor allows it: one write sets the pod
// template's digest (or environment, or restartAt) and records the digests it was computed
// from.
func (kr *kindReconciler) rollOut(ctx context.Context, key string, workload client.Object, seen observation, decision Decision) (ctrl.Result, error) {
	changed := decision.Changed
	log := ctrl.LoggerFrom(ctx).WithValues("changed", changed)
	if kr.kind.paused(workload) && !pausedByRollout(workload) {
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
	whole, err := kr.whole(ctx, workload)
	if err != nil || whole == nil {
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, err
	}
	next, pauseFor, err := kr.restarted(whole, seen, decision)
	if err != nil {
		return ctrl.Result{}, err
	}
	if kr.kind.recreate {
		err = kr.recreate(ctx, whole, next)
	} else {
		// The optimistic lock makes sure the digest was computed from the current pod template.
		err = kr.Client.Patch(ctx, next, client.MergeFromWithOptions(whole, client.MergeFromWithOptimisticLock{}))
	}
	if isConflict(err) { // the workload changed meanwhile: look again
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("restarting: %w", err)
	}
	kr.governor.Done(key)
	if kr.watchesHealth() {
		kr.train.start(key, next.GetGeneration(), kr.now()())
		pauseFor = min(pauseFor, healthCheck)
		if pauseFor == 0 {
			pauseFor = healthCheck
		}
	}
	kr.metrics.rollouts.WithLabelValues(kr.kind.name).Inc()
	kr.Recorder.Eventf(workload, nil, corev1.EventTypeNormal, "RolloutTriggered", "Rollout",
		"Restarting pods: changed %s", describe(changed))
	kr.alerts.send(Alert{Kind: kr.kind.name, Namespace: workload.GetNamespace(), Name: workload.GetName(), Changed: describe(changed)})
	log.Info("Workload restarted")
	return ctrl.Result{RequeueAfter: pauseFor}, nil
}

// whole returns the workload whole, to write a restart: a view (view.go) is read again from
// the API server, and nil returned when that copy is newer than the view (the cache catches
// up and the workload is looked at again), so that what is written was decided on the pod
// template it goes into.
func (kr *kindReconciler) whole(ctx context.Context, workload client.Object) (client.Object, error) {
	if _, ok := workload.(view); !ok {
		return workload, nil
	}
	full := kr.kind.full()
	if err := kr.APIReader.Get(ctx, client.ObjectKeyFromObject(workload), full); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if full.GetResourceVersion() != workload.GetResourceVersion() {
		return nil, nil
	}
	return full, nil
}

// restarted returns the workload as the restart writes it, and how long the restart pauses
// it (a Deployment with a pause period).
func (kr *kindReconciler) restarted(workload client.Object, seen observation, decision Decision) (client.Object, time.Duration, error) {
	next := workload.DeepCopyObject().(client.Object)
	setAnnotation(next, AnnotationLastDigests, FormatDigests(decision.Digests))
	now := kr.now()().UTC()
	if u, ok := next.(*unstructured.Unstructured); ok && rolloutStrategy(u) == rolloutStrategyRestart {
		// Argo Rollouts recreates the pods one by one without a new revision.
		return next, 0, unstructured.SetNestedField(u.Object, now.Format(time.RFC3339), "spec", "restartAt")
	}
	tmpl := kr.kind.template(next)
	if kr.opts.ReloadStrategy == StrategyEnvVars {
		kr.setEnvVars(tmpl, decision.Changed, seen.data)
	} else {
		if tmpl.Annotations == nil {
			tmpl.Annotations = map[string]string{}
		}
		tmpl.Annotations[AnnotationConfigDigest] = kr.HashKey.Parts(seen.data)
	}
	if kr.kind.setTemplate != nil {
		if err := kr.kind.setTemplate(next, tmpl); err != nil {
			return nil, 0, err
		}
	}
	return next, startPause(next, now), nil
}

// setEnvVars sets, in every container, the variable named after each changed source to a
// keyed digest of its data; a source that is gone loses its variable.
func (kr *kindReconciler) setEnvVars(tmpl *corev1.PodTemplateSpec, changed []string, data map[string]map[string][]byte) {
	for _, source := range changed {
		name := EnvVarName(parseRef(source))
		sourceData, exists := data[source]
		for i := range tmpl.Spec.Containers {
			c := &tmpl.Spec.Containers[i]
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
			if exists {
				c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: kr.HashKey.Data(sourceData)})
			}
		}
	}
}

// EnvVarName is the variable the env-vars strategy sets for a source, named as Reloader
// names it: STAKATER_, the name in upper case with each run of other characters turned into
// one underscore, then _SECRET or _CONFIGMAP.
func EnvVarName(ref Ref) string {
	var b strings.Builder
	b.WriteString("STAKATER_")
	pending := false
	for _, r := range strings.ToUpper(ref.Name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			if pending {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			pending = false
			continue
		}
		pending = b.Len() > len("STAKATER_")
	}
	return b.String() + "_" + strings.ToUpper(string(ref.Kind))
}

func rolloutStrategy(u *unstructured.Unstructured) string {
	v, _ := lookup(u.GetAnnotations(), annotationKeys{FerryRolloutStrategy, ReloaderRolloutStrategy})
	if strings.EqualFold(strings.TrimSpace(v), rolloutStrategyRestart) {
		return rolloutStrategyRestart
	}
	return rolloutStrategyRollout
}

// recreate replaces a Job, whose pod template cannot change, by a copy with the restarted
// template, as Reloader does: the old Job (and, in the background, its pods) is deleted,
// then the copy created without the fields the API server sets.
func (kr *kindReconciler) recreate(ctx context.Context, old, next client.Object) error {
	job := next.(*batchv1.Job)
	fresh := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: job.Name, Namespace: job.Namespace, Labels: job.Labels,
			Annotations: job.Annotations, OwnerReferences: job.OwnerReferences},
		Spec: job.Spec,
	}
	if fresh.Spec.ManualSelector == nil || !*fresh.Spec.ManualSelector {
		// The API server generates the selector and these labels from the new Job's uid.
		fresh.Spec.Selector = nil
		for _, l := range []string{"controller-uid", batchv1.ControllerUidLabel, "job-name", batchv1.JobNameLabel} {
			delete(fresh.Labels, l)
			delete(fresh.Spec.Template.Labels, l)
		}
	}
	uid, version := old.GetUID(), old.GetResourceVersion()
	err := kr.Client.Delete(ctx, old, &client.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &uid, ResourceVersion: &version},
		PropagationPolicy: new(metav1.DeletePropagationBackground),
	})
	if err != nil {
		return fmt.Errorf("deleting the Job: %w", err)
	}
	if err := kr.Client.Create(ctx, fresh); err != nil {
		return fmt.Errorf("creating the Job again: %w", err)
	}
	return nil
}

// pausePeriod is the pause period a Deployment asks for; 0 when none or not a duration.
func pausePeriod(o client.Object) time.Duration {
	v, _ := lookup(o.GetAnnotations(), annotationKeys{FerryPausePeriod, ReloaderPausePeriod})
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// pausedAt returns when Ferry (or Reloader, before Ferry replaced it) paused the Deployment.
func pausedAt(o client.Object) (time.Time, bool) {
	v, ok := lookup(o.GetAnnotations(), annotationKeys{AnnotationPausedAt, ReloaderPausedAt})
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, true // unreadable: the pause is over
	}
	return t, true
}

func pausedByRollout(o client.Object) bool {
	_, ok := pausedAt(o)
	return ok
}

// startPause pauses a Deployment that asks for a pause period, in the restart's own write,
// and returns the period; a Deployment already paused by Ferry stays paused until its
// first pause ends.
func startPause(o client.Object, now time.Time) time.Duration {
	d, ok := o.(*appsv1.Deployment)
	period := pausePeriod(o)
	if !ok || period == 0 || pausedByRollout(o) {
		return 0
	}
	d.Spec.Paused = true
	setAnnotation(d, AnnotationPausedAt, now.Format(time.RFC3339))
	return period
}

// resumeIfDue resumes a Deployment paused after a restart once its pause period has passed.
// It returns the workload as it now is, and how long until the pause ends when it has not;
// nil and when to look again when the cache is behind the API server.
func (kr *kindReconciler) resumeIfDue(ctx context.Context, workload client.Object) (client.Object, time.Duration, error) {
	at, paused := pausedAt(workload)
	if kr.kind.name != "Deployment" || !paused {
		return workload, 0, nil
	}
	if wait := at.Add(pausePeriod(workload)).Sub(kr.now()()); wait > 0 {
		return workload, wait, nil
	}
	whole, err := kr.whole(ctx, workload)
	if err != nil || whole == nil {
		return nil, 100 * time.Millisecond, err
	}
	d := whole.(*appsv1.Deployment)
	resumed := d.DeepCopy()
	resumed.Spec.Paused = false
	delete(resumed.Annotations, AnnotationPausedAt)
	delete(resumed.Annotations, ReloaderPausedAt)
	if err := kr.Client.Patch(ctx, resumed, client.MergeFromWithOptions(d, client.MergeFromWithOptimisticLock{})); err != nil {
		return nil, 0, fmt.Errorf("resuming after the pause period: %w", err)
	}
	ctrl.LoggerFrom(ctx).Info("Deployment resumed after its pause period")
	return resumed, 0, nil
}
