package rollout

import (
	"context"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Health of a rollout Ferry started.
type Health int

const (
	// Progressing means the workload's controller has not finished the new pods yet.
	Progressing Health = iota
	// Healthy means every pod runs the new template and is available.
	Healthy
	// Failed means the workload's controller gave up (a Deployment's progress deadline).
	Failed
)

// healthCheck is how often Ferry looks at a rollout it started, while it is not healthy.
const healthCheck = 5 * time.Second

// HealthOf reads a workload's status: whether its controller rolled out generation
// (the one Ferry's restart wrote) to every pod. Kinds without such a status are Healthy.
func HealthOf(o client.Object, generation int64) Health {
	switch w := o.(type) {
	case *appsv1.Deployment:
		want := ptrOr(w.Spec.Replicas, 1)
		s := w.Status
		switch {
		case s.ObservedGeneration < generation:
			return Progressing
		case s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want:
			return Healthy
		}
		for _, c := range s.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
				return Failed
			}
		}
		return Progressing
	case *appsv1.StatefulSet:
		want := ptrOr(w.Spec.Replicas, 1)
		s := w.Status
		if s.ObservedGeneration >= generation && s.UpdatedReplicas == want && s.ReadyReplicas == want && s.CurrentRevision == s.UpdateRevision {
			return Healthy
		}
		if s.ObservedGeneration >= generation && w.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
			return Healthy // its pods change only when someone deletes them
		}
		return Progressing
	case *appsv1.DaemonSet:
		s := w.Status
		if s.ObservedGeneration >= generation && s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled {
			return Healthy
		}
		return Progressing
	}
	return Healthy
}

func ptrOr(p *int32, fallback int32) int32 {
	if p == nil {
		return fallback
	}
	return *p
}

// watched is a rollout Ferry started and watches until it goes healthy.
type watched struct {
	generation int64
	since      time.Time
	halted     bool
}

// train keeps the rollouts Ferry started and has not seen go healthy. It lives in memory:
// after a restart of Ferry a halt is lifted, which is where Reloader always is.
type train struct {
	mu      sync.Mutex
	watched map[string]watched
}

func (t *train) start(key string, generation int64, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.watched == nil {
		t.watched = map[string]watched{}
	}
	t.watched[key] = watched{generation: generation, since: now}
}

func (t *train) get(key string) (watched, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.watched[key]
	return w, ok
}

func (t *train) set(key string, w watched) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watched[key] = w
}

func (t *train) done(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.watched, key)
}

// watchesHealth reports whether restarts of this kind are followed to health.
func (kr *kindReconciler) watchesHealth() bool {
	if !kr.opts.StopOnUnhealthy {
		return false
	}
	switch kr.kind.name {
	case "Deployment", "StatefulSet", "DaemonSet":
		return true
	}
	return false
}

// checkHealth follows a rollout Ferry started: once it goes healthy the workload no longer
// holds the train; if it fails or takes longer than HealthTimeout it halts every other
// restart. It returns when to look again.
func (kr *kindReconciler) checkHealth(ctx context.Context, key string, workload client.Object) (time.Duration, error) {
	w, ok := kr.train.get(key)
	if !kr.watchesHealth() || !ok {
		return 0, nil
	}
	current := kr.kind.object() // the cache holds no status: read it from the API server
	if kr.kind.full != nil {
		current = kr.kind.full()
	}
	if err := kr.APIReader.Get(ctx, client.ObjectKeyFromObject(workload), current); err != nil {
		return 0, client.IgnoreNotFound(err)
	}
	health := HealthOf(current, w.generation)
	log := ctrl.LoggerFrom(ctx)
	switch {
	case health == Healthy:
		kr.train.done(key)
		if kr.governor.Resume(key) {
			kr.metrics.halted.Set(float64(kr.governor.Halted()))
			kr.Recorder.Eventf(workload, nil, corev1.EventTypeNormal, "RolloutHealthy", "Rollout", "The restart went healthy; other restarts go on")
			log.Info("Restarted workload went healthy: restarts go on")
		}
		return 0, nil
	case health == Failed || kr.now()().Sub(w.since) > kr.opts.HealthTimeout:
		if !w.halted {
			w.halted = true
			kr.train.set(key, w)
			kr.governor.Halt(key)
			kr.metrics.halted.Set(float64(kr.governor.Halted()))
			kr.Recorder.Eventf(workload, nil, corev1.EventTypeWarning, "RolloutUnhealthy", "Rollout",
				"The restart did not go healthy; other restarts wait until it does")
			log.Info("Restarted workload did not go healthy: other restarts wait", "failed", health == Failed)
		}
	}
	return healthCheck, nil
}

// forgetHealth drops what Ferry follows of a workload that is gone or no longer opted in.
func (kr *kindReconciler) forgetHealth(key string) {
	kr.train.done(key)
	if kr.governor.Resume(key) {
		kr.metrics.halted.Set(float64(kr.governor.Halted()))
	}
}
